/** The GET forms above a list: search text, filters, and the note of what the list is limited to. */
import type { Child } from 'hono/jsx';

export const SearchBar = (props: { action: string; q: string | undefined; placeholder: string; children?: Child }) => (
  <form method="get" action={props.action} class="search" role="search">
    <input
      type="search"
      name="q"
      value={props.q ?? ''}
      placeholder={props.placeholder}
      aria-label={props.placeholder}
    />{' '}
    {props.children} <button type="submit">Search</button>{' '}
    {props.q ? (
      <a href={props.action} class="button-link">
        Clear
      </a>
    ) : null}
  </form>
);

/** A <select> that filters a list; submitted with the search form. */
export const FilterSelect = (props: {
  name: string;
  label: string;
  value: string | undefined;
  options: readonly string[];
}) => (
  <label class="filter">
    <span class="sr-only">{props.label}</span>{' '}
    <select name={props.name} aria-label={props.label}>
      <option value="">{props.label}: any</option>
      {props.options.map((v) => (
        <option value={v} selected={v === props.value}>
          {props.label}: {v}
        </option>
      ))}
    </select>
  </label>
);
