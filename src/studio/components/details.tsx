/** A detail list (<dl>): terms and what they hold. */
import type { Child } from 'hono/jsx';

/** A term, what it holds, and the class of that (a skipped entry is false). */
export type Detail = [term: string, detail: Child, detailClass?: string];

export const Details = (props: { items: (Detail | false)[]; class?: string; testid?: string }) => (
  <dl class={props.class ?? 'facts'} data-testid={props.testid}>
    {props.items.map((item) =>
      item ? (
        <>
          <dt>{item[0]}</dt>
          <dd class={item[2]}>{item[1]}</dd>
        </>
      ) : null,
    )}
  </dl>
);

/** A card: a section with a heading. */
export const Card = (props: { title?: Child; class?: string; children: Child }) => (
  <section class={props.class ? `card ${props.class}` : 'card'}>
    {props.title === undefined ? null : <h2>{props.title}</h2>}
    {props.children}
  </section>
);
