/** Small inline pieces: badges, the quota bar, a dash for nothing, a number figure. */
import type { Child } from 'hono/jsx';
import { bytes } from './format.js';

export type Tone = 'ok' | 'warn' | 'bad' | 'muted' | 'info';

export const Badge = (props: { tone?: Tone; children: Child }) => (
  <span class={`badge badge-${props.tone ?? 'muted'}`}>{props.children}</span>
);

export const StatusBadge = (props: { status: string }) => (
  <Badge tone={props.status === 'active' ? 'ok' : 'bad'}>{props.status}</Badge>
);

/** The status, only when it is not the usual "active". */
export const UnlessActive = (props: { status: string }) =>
  props.status === 'active' ? null : <StatusBadge status={props.status} />;

export const VerifiedBadge = (props: { verified: boolean }) =>
  props.verified ? <Badge tone="ok">verified</Badge> : <Badge tone="warn">unverified</Badge>;

/** A value, or a muted dash when there is none. */
export const OrDash = (props: { value: string | null | undefined }) => props.value ?? <span class="muted">—</span>;

/** Quota use as a plain HTML bar (a <meter>: no script, no inline style). */
export function QuotaBar(props: { used: number; quota: number }) {
  const { used, quota } = props;
  if (quota === 0)
    return (
      <span class="quota">
        <span class="muted">{bytes(used)} of unlimited</span>
      </span>
    );
  const ratio = used / quota;
  return (
    <span class="quota">
      <meter
        min={0}
        max={quota}
        low={Math.round(quota * 0.7)}
        high={Math.round(quota * 0.9)}
        optimum={0}
        value={used}
        title={`${(ratio * 100).toFixed(1)}% used`}
      >
        {(ratio * 100).toFixed(1)}%
      </meter>{' '}
      <span class="quota-text">
        {bytes(used)} of {bytes(quota)} <span class="muted">({(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%)</span>
      </span>
    </span>
  );
}

/** A figure with its label: "1,204 users". */
export const Stat = (props: { label: string; value: string | number; hint?: string | undefined }) => (
  <div class="stat">
    <div class="stat-value">{typeof props.value === 'number' ? props.value.toLocaleString('en') : props.value}</div>
    <div class="stat-label">{props.label}</div>
    {props.hint ? <div class="stat-hint">{props.hint}</div> : null}
  </div>
);
