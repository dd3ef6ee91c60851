/** A failed write's reason as a contact's outcome shows it. */
export function errorReason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
