/**
 * The one interface through which the engine talks to ActiveCampaign. The undici client in client.ts
 * implements it; the planner never needs it and the executor (engine/apply/) is the only caller that writes.
 * Shapes here are already parsed (ids as strings, numbers as numbers), not the wire format.
 */

export interface AcList {
  id: string;
  name: string;
  stringid?: string;
}

export interface AcField {
  id: string;
  /** Personalization tag, upper case without %: LOYALTY_TIER. */
  perstag: string;
  title: string;
  type: string;
}

export interface AcTag {
  id: string;
  tag: string;
}

/** A member of a list as read page by page (GET /contacts?listid=…&include=contactLists,fieldValues,contactTags). */
export interface AcListMember {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
  /** ActiveCampaign's udate (ISO), when present. */
  updatedAt?: string;
  /** This contact's status on the list that was read: 0 unconfirmed, 1 active, 2 unsubscribed, 3 bounced. */
  listStatus: 0 | 1 | 2 | 3;
  /** Custom field values by field id. */
  fieldValues: Record<string, string>;
  /** Tags on the contact: the contactTag id (needed to detach) and the tag id. */
  contactTags: AcContactTag[];
  /**
   * For an unsubscribed member (status 2) only: the membership's dates, which tell whose unsubscribe was the last
   * (engine/consent.ts). Kept off the other members, which a million-member list holds in memory.
   */
  membershipDates?: AcMembershipDates;
}

/** A contact of the account, found by email, with what the plan compares (not its list memberships). */
export type AcAccountContact = Pick<AcListMember, 'id' | 'email' | 'firstName' | 'lastName' | 'phone' | 'fieldValues'>;

/** A tag on a contact. */
export interface AcContactTag {
  /** The contactTag id (needed to detach it). */
  id: string;
  tagId: string;
  /** When the tag was put on the contact (contactTag cdate, ActiveCampaign's clock); read for status-2 members. */
  createdAt?: string;
}

/** A list membership's dates as ActiveCampaign gives them (contactList sdate and udate), absent when empty. */
export interface AcMembershipDates {
  /** sdate: when the contact was (last) subscribed. */
  subscribedAt?: string;
  /** udate: when the membership's status last changed (an unsubscribe sets it). */
  changedAt?: string;
}

/** One contact's membership of one list and its tags, read fresh (GET /contacts/{id}/contactLists and /contactTags). */
export interface AcMembership {
  /** Absent when the contact is not on the list (or does not exist any more). */
  listStatus?: 0 | 1 | 2 | 3;
  dates: AcMembershipDates;
  contactTags: AcContactTag[];
}

/** One contact of a bulk import, in the bulk importer's own (snake_case) shape. */
export interface BulkContact {
  email: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
  fields?: Array<{ id: number; value: string }>;
  tags?: string[];
  subscribe?: Array<{ listid: number }>;
  unsubscribe?: Array<{ listid: number }>;
}

/** One contact for POST /contact/sync, in that endpoint's camelCase shape. */
export interface SyncContact {
  email: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  fieldValues?: Array<{ field: string; value: string }>;
}

export type BulkBatchStatus = 'waiting' | 'claimed' | 'active' | 'completed' | 'failed' | 'interrupted';

export interface BulkBatchInfo {
  /** `false` when ActiveCampaign has not registered the batch yet (polled too early). */
  status: BulkBatchStatus | false;
  /** Ids of contacts the batch newly created (updates are not listed). */
  success: string[];
  /** Emails that failed. */
  failure: string[];
}

export interface ReadMembersOptions {
  /** Keyset: only contacts with id greater than this (paging is by id ascending). */
  afterId?: string;
  /** Only contacts updated after this ISO time (filters[updated_after]). */
  updatedAfter?: string;
  /** Only members with this status on the list (all statuses when absent). */
  status?: 0 | 1 | 2 | 3;
  /** Sideloads to skip when the caller does not need them (default: all; a smaller page on accounts with many fields). */
  include?: { fieldValues?: boolean; contactTags?: boolean };
  /** Called after each page with the number of members read so far and the total ActiveCampaign reports. */
  onPage?: (done: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/** Request accounting, for summaries and benchmarks. */
export interface RequestStats {
  /** Requests sent, by kind (e.g. 'GET /contacts', 'POST /import/bulk_import'). Retries count again. */
  byKind: Record<string, number>;
  /** Responses by HTTP status (as a string), plus 'network' for connection errors and timeouts. */
  byStatus: Record<string, number>;
  /** 429 responses (and other rate-limit refusals) received for this run's own use of the budget. */
  rateLimited: number;
  /** Rate-limit refusals that came before this run could have used the budget: a previous run's or another integration's. */
  inheritedRateLimited: number;
  /** Milliseconds spent waiting for the rate budget or Retry-After. */
  waitedMs: number;
}

/**
 * What planning may do with ActiveCampaign: read. The pipeline's observe stage gets only this port, so the
 * type system says the planner never writes.
 */
export interface ActiveCampaignReader {
  /** The connection id this client serves (for messages and events). */
  readonly connection: string;
  /** Checks the key works (403 -> AuthError naming the connection, never the key). */
  checkCredentials(signal?: AbortSignal): Promise<void>;
  /** The list, or NotFoundError naming the list id and the connection. */
  getList(listId: string, signal?: AbortSignal): Promise<AcList>;
  /** All custom fields of the account. */
  listFields(signal?: AbortSignal): Promise<AcField[]>;
  /** Tags whose names are exactly these (missing names are absent from the map). */
  findTags(names: string[], signal?: AbortSignal): Promise<Map<string, AcTag>>;
  /** Every member of the list (all statuses), by id ascending, 100 per page with keyset paging. */
  readListMembers(listId: string, options?: ReadMembersOptions): AsyncIterable<AcListMember[]>;
  /** A contact's membership of one list and its tags, read now (the executor re-checks consent with it). */
  readMembership(contactId: string, listId: string, signal?: AbortSignal): Promise<AcMembership>;
  /** The contact with this email (case-insensitive, verified against the returned email), if any. */
  findContactByEmail(email: string, signal?: AbortSignal): Promise<{ id: string; email: string } | undefined>;
  /**
   * The account's contact with this email (exact, verified against the returned email) with its names, phone and
   * custom field values by field id, if any: what a newcomer to a list already holds (GET /contacts?email=).
   */
  lookUpContact(email: string, signal?: AbortSignal): Promise<AcAccountContact | undefined>;
  /** How many contacts the account has (meta.total of GET /contacts?limit=1), or undefined when not answered. */
  countContacts(signal?: AbortSignal): Promise<number | undefined>;
  /** One poll of a bulk batch. */
  bulkStatus(batchId: string, signal?: AbortSignal): Promise<BulkBatchInfo>;
  stats(): RequestStats;
}

/** What only the apply stage (engine/apply/) gets: every write, plus the reads it needs between writes. */
export interface ActiveCampaignWriter extends ActiveCampaignReader {
  /** The tag with this name, created when it does not exist. */
  ensureTag(name: string, signal?: AbortSignal): Promise<AcTag>;
  /** Batches outstanding in the account's import queue (GET /import/bulk_import), all integrations together. */
  bulkQueueLength?(signal?: AbortSignal): Promise<number>;
  /** Queues a bulk import (1..250 contacts, < 400,000 bytes). Validation failures throw BulkValidationError. */
  bulkImport(contacts: BulkContact[], options: { excludeAutomations: boolean; signal?: AbortSignal }): Promise<{ batchId: string }>;
  /**
   * Creates or updates one contact by email (POST /contact/sync). Only the keys given are sent: an empty value
   * would erase what ActiveCampaign has. For a handful of contacts this is faster than a bulk import.
   */
  syncContact(contact: SyncContact, signal?: AbortSignal): Promise<{ id: string }>;
  /** Subscribe (1) or unsubscribe (2) one contact on one list (POST /contactLists). */
  setListStatus(contactId: string, listId: string, status: 1 | 2, signal?: AbortSignal): Promise<void>;
  /** Attaches a tag to a contact; returns the contactTag id ('' when the contact already had the tag). */
  addContactTag(contactId: string, tagId: string, signal?: AbortSignal): Promise<string>;
  /** Detaches a tag (DELETE /contactTags/{id}). A 404 (already gone) is not an error. */
  removeContactTag(contactTagId: string, signal?: AbortSignal): Promise<void>;
}

/** The whole client (engine/activecampaign/client.ts implements it): both ports. */
export type ActiveCampaignApi = ActiveCampaignWriter;
