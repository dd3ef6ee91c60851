/**
 * The tags through which acsync keeps its knowledge in ActiveCampaign itself, so that `plan` and `apply` in a
 * stateless CI job are correct with no local state. These names are a contract with every account acsync has
 * ever written to: changing them makes acsync forget who it subscribed.
 */

/** Set when acsync subscribes a contact to the list: only these contacts may be unsubscribed on leave. */
export function managedTag(listId: string): string {
  return `acsync:list-${listId}`;
}

/**
 * Set when acsync unsubscribes a contact from the list (and removed when acsync re-subscribes them): it tells an
 * unsubscribe acsync made apart from one the person made, which acsync must never undo.
 */
export function unsubscribedTag(listId: string): string {
  return `acsync:unsubscribed-list-${listId}`;
}
