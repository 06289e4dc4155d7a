/**
 * Forms that post to the studio: the CSRF token, the refusal of the last attempt next to the form
 * that caused it, and fields that come back with what was typed when it was refused.
 */
import { type Child, createContext, useContext } from 'hono/jsx';
import type { Refusal } from '../context.js';
import type { ActorChoice } from '../queries.js';
import type { PageContext } from './layout.js';

/** The form being rendered: its name and, if this form was the one refused, the refusal. */
interface FormState {
  name: string;
  refusal: Refusal | undefined;
}

const CurrentForm = createContext<FormState>({ name: '', refusal: undefined });

/** The value a field had when its form was refused, or the default. */
export function kept(form: FormState, field: string, fallback = ''): string {
  return form.refusal?.form === form.name ? (form.refusal.values[field] ?? fallback) : fallback;
}

/** The domain error in plain words, with its stable code. */
export const RefusalBox = (props: { form: FormState }) => {
  const { refusal, name } = props.form;
  if (!refusal || refusal.form !== name) return null;
  return (
    <div class="refusal" role="alert">
      <strong>Refused:</strong> <span class="refusal-message">{refusal.message}</span>{' '}
      <code class="refusal-code">{refusal.code}</code>
      <div class="muted small">Nothing was changed.</div>
    </div>
  );
};

export interface PostFormProps {
  ctx: PageContext;
  action: string;
  /** Names the form in the page (data-form) and in a refusal. */
  name: string;
  refusal?: Refusal | undefined;
  class?: string;
  children: Child;
}

/** A form that posts to the studio, with the CSRF token and, when it was refused, the error. */
export const PostForm = (props: PostFormProps) => {
  const form = { name: props.name, refusal: props.refusal };
  return (
    <form method="post" action={props.action} class={props.class ?? 'form'} data-form={props.name}>
      <input type="hidden" name="_csrf" value={props.ctx.csrf} /> <RefusalBox form={form} />{' '}
      <CurrentForm.Provider value={form}>{props.children}</CurrentForm.Provider>
    </form>
  );
};

export interface FieldProps {
  label: string;
  /** Shown muted after the label, in brackets. */
  note?: string;
  name: string;
  type?: 'text' | 'email' | 'password';
  /** What the field holds before anything was typed. */
  value?: string;
  placeholder?: string;
  required?: boolean;
  inputmode?: 'decimal';
  autocomplete?: string;
  minlength?: number;
  /** A multi-line field with this many rows. */
  rows?: number;
}

/** A labelled input of the current form; a password is never filled in again. */
export const Field = (props: FieldProps) => {
  const form = useContext(CurrentForm);
  const type = props.type ?? 'text';
  const value = type === 'password' ? undefined : kept(form, props.name, props.value);
  const control =
    props.rows === undefined ? (
      <input
        type={type}
        name={props.name}
        required={props.required}
        minlength={props.minlength}
        placeholder={props.placeholder}
        inputmode={props.inputmode}
        autocomplete={props.autocomplete ?? 'off'}
        value={value}
      />
    ) : (
      // the newline keeps a value that starts with one: the HTML parser drops the first
      <textarea name={props.name} rows={props.rows}>
        {'\n'}
        {value}
      </textarea>
    );
  return (
    <label>
      {props.label} {props.note ? <span class="muted">({props.note})</span> : null} {control}
    </label>
  );
};

export const Submit = (props: { class?: string; children: Child }) => (
  <button type="submit" class={props.class}>
    {props.children}
  </button>
);

/** A button that names the operation the route runs ("op"). */
export const OpButton = (props: { op: string; class?: string | undefined; children: Child }) => (
  <button type="submit" name="op" value={props.op} class={props.class}>
    {props.children}
  </button>
);

/** Suspend what is active, activate what is not. */
export const StatusButton = (props: { status: string; noun: string }) =>
  props.status === 'active' ? (
    <OpButton op="suspend" class="danger">
      Suspend {props.noun}
    </OpButton>
  ) : (
    <OpButton op="activate">Activate {props.noun}</OpButton>
  );

/** "as [user ▾]": who the application service is asked to act for. */
export const ActAs = (props: { choices: ActorChoice[]; selected: string }) => {
  const chosen = kept(useContext(CurrentForm), 'actor', props.selected);
  return (
    <label class="act-as" title="The user the application service acts for; it refuses what that user may not do">
      <span>act as</span>{' '}
      <select name="actor">
        {props.choices.map((u) => (
          <option value={u.id} selected={u.id === chosen}>
            {u.email}
          </option>
        ))}
      </select>
    </label>
  );
};

/**
 * The confirmation a destructive form asks for: a box to tick before the button works (no script:
 * the browser requires it, and the server refuses the form without it: CONFIRMATION_REQUIRED).
 */
export const Confirm = (props: { children: Child }) => (
  <label class="confirm">
    <input type="checkbox" name="confirm" value="yes" required /> {props.children}
  </label>
);
