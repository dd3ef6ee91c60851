/**
 * What a person does in ActiveCampaign's own UI while acsync is not looking: unsubscribe someone, edit a
 * name, delete a contact, add someone to a list by hand. Tests use these to create drift.
 */
import type { ContactRec, ListStatus, Store } from './store.ts';

/** A contact by id or by email. */
export type ContactRef = { contact: string | number } | { email: string };

export interface MarketerEdit {
  firstName?: string;
  lastName?: string;
  phone?: string;
  email?: string;
  /** Values by personalization tag or field id. */
  fields?: Record<string, string>;
}

export class Marketer {
  constructor(
    private readonly store: Store,
    private readonly changed: () => void,
  ) {}

  private find(ref: ContactRef): ContactRec {
    const c = 'email' in ref ? this.store.findByEmail(ref.email) : this.store.contacts.get(Number(ref.contact));
    if (c === undefined) throw new Error(`marketer: no contact ${'email' in ref ? ref.email : `with id ${String(ref.contact)}`}`);
    return c;
  }

  private list(id: string | number): NonNullable<ReturnType<Store['lists']['get']>> {
    const l = this.store.lists.get(Number(id));
    if (l === undefined) throw new Error(`marketer: no list ${String(id)}`);
    return l;
  }

  /** Unsubscribes the contact from the list (status 2), as the person's unsubscribe link would. */
  unsubscribe(ref: ContactRef, list: string | number): void {
    const m = this.store.setListStatus(this.find(ref), this.list(list), 2);
    m.unsubreason = 'Unsubscribed by the contact';
    this.changed();
  }

  /** Adds the contact to the list by hand (creating the contact when an unknown email is given). */
  subscribe(ref: ContactRef, list: string | number, status: ListStatus = 1): string {
    const c = 'email' in ref ? (this.store.findByEmail(ref.email) ?? this.store.createContact({ email: ref.email })) : this.find(ref);
    this.store.setListStatus(c, this.list(list), status);
    this.changed();
    return String(c.id);
  }

  edit(ref: ContactRef, edit: MarketerEdit): void {
    const c = this.find(ref);
    const patch: { email?: string; firstName?: string; lastName?: string; phone?: string } = {};
    for (const k of ['email', 'firstName', 'lastName', 'phone'] as const) {
      const v = edit[k];
      if (v !== undefined) patch[k] = v;
    }
    this.store.updateContact(c, patch);
    for (const [key, value] of Object.entries(edit.fields ?? {})) {
      const field = /^\d+$/.test(key) ? this.store.fields.get(Number(key)) : this.store.findFieldByPerstag(key);
      if (field === undefined) throw new Error(`marketer: no custom field "${key}"`);
      this.store.setFieldValue(c, field.id, value);
    }
    this.changed();
  }

  delete(ref: ContactRef): void {
    this.store.deleteContact(this.find(ref));
    this.changed();
  }
}
