/**
 * ActiveCampaign's limits, each defined once: the client refuses what breaks them, the executor packs batches
 * to fit them (engine/apply/batches.ts). The emulator keeps its own copies on purpose: it models ActiveCampaign
 * independently of the client, so a wrong number here is caught by it rather than copied into it.
 */

/** At most 250 contacts per bulk import request (developers.activecampaign.com/reference/bulk-import-contacts). */
export const BULK_IMPORT_MAX_CONTACTS = 250;

/**
 * A bulk import's JSON payload must be under 400,000 bytes (same reference: "less than 400,000 bytes"), so the
 * largest allowed payload is one byte less.
 */
export const BULK_IMPORT_MAX_BYTES = 400_000;

/**
 * What a bulk import payload holds besides its contacts: `{"contacts":[` + `],"exclude_automations":false}` is
 * 43 bytes; 64 leaves room should the envelope gain a key. Batches are packed so that this plus their contacts'
 * bytes (each counted with its separating comma) stays under BULK_IMPORT_MAX_BYTES.
 */
export const BULK_IMPORT_ENVELOPE_BYTES = 64;

/** `limit` is capped at 100 per page (developers.activecampaign.com/reference/pagination). */
export const PAGE_SIZE = 100;
