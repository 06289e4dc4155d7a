import { v7 } from 'uuid';

/** Identities are assigned at construction and ordered by time (UUIDv7), so inserts can batch. */
export const newId = (): string => v7();

/**
 * Changes state that the outside sees as read-only. Entities expose their fields as `readonly`
 * and change them only inside their own verbs, through this.
 */
export function update<T extends object, K extends keyof T>(entity: T, changes: Pick<T, K>): void {
  Object.assign(entity, changes);
}
