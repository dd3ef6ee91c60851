/**
 * Stage 3, observe the list: what ActiveCampaign holds for the export, through the read-only port. The list
 * (reading it checks the key too: a 403 becomes the same AuthError, one request fewer per plan), the mapped
 * custom fields, acsync's own tags, and every member as the planner's ObservedContact, hashed as it streams
 * so a saved plan can tell when the list changed.
 */
import { createHash } from 'node:crypto';
import type { ActiveCampaignReader } from '../activecampaign/api.ts';
import type { Clock } from '../clock.ts';
import type { Config, ConnectionConfig, ExportConfig } from '../config/model.ts';
import { UserError } from '../errors.ts';
import type { EventSink } from '../events.ts';
import { ObservedList } from '../observed-list.ts';
import { toObserved } from '../observe.ts';
import { cacheDirFor } from '../snapshot/file.ts';
import { readListMembersCached, snapshotSettings, type RefreshMode } from '../snapshot/read-list.ts';
import { managedTag, unsubscribedTag } from '../tags.ts';

export interface ObserveInput {
  config: Config;
  exp: ExportConfig;
  connection: ConnectionConfig;
  api: ActiveCampaignReader;
  env: NodeJS.ProcessEnv;
  sink: EventSink;
  refresh?: RefreshMode;
  signal?: AbortSignal;
  clock?: Pick<Clock, 'now'>;
}

export interface ObservedListRead {
  /** The members, in id order, indexed by key. */
  observed: ObservedList;
  /** Custom field ids by mapped personalization tag. */
  fieldIds: Map<string, string>;
  /** contactTag ids of acsync's unsubscribed tag, by contact id. */
  unsubscribedTagLinks: Map<string, string>;
  /** Ids of acsync's tags for the list that already exist, by name. */
  knownTagIds: Map<string, string>;
  /** Members acsync manages (its managed tag) that are active or unconfirmed. */
  managedActive: number;
  /** sha256 of the members as read. */
  fingerprint: string;
}

export async function observeList(input: ObserveInput): Promise<ObservedListRead> {
  const { config, exp, connection, api, sink, signal } = input;
  await api.getList(exp.listId, signal);

  // Custom fields: every mapped personalization tag must exist in the account.
  const fieldIds = new Map<string, string>();
  const perstagByFieldId = new Map<string, string>();
  const mapped = Object.keys(exp.mapping.fields);
  if (mapped.length > 0) {
    const fields = await api.listFields(signal);
    const byTag = new Map(fields.map((f) => [f.perstag.toUpperCase(), f]));
    for (const perstag of mapped) {
      const field = byTag.get(perstag.toUpperCase());
      if (field === undefined) {
        const pos = config.locations[`exports.${exp.name}.mapping.fields.${perstag}`];
        throw new UserError(
          `export '${exp.name}': ActiveCampaign has no custom field with personalization tag ${perstag} (connection '${connection.id}')`,
          `create the field in ActiveCampaign (Contacts > Fields) with the tag %${perstag}%, or fix the mapping; existing tags: ${fields.map((f) => f.perstag).join(', ') || '(none)'}`,
          config.displayFile,
          pos?.line,
        );
      }
      fieldIds.set(perstag, field.id);
      perstagByFieldId.set(field.id, perstag);
    }
  }

  const tags = await api.findTags([managedTag(exp.listId), unsubscribedTag(exp.listId)], signal);
  const unsubscribedTagLinks = new Map<string, string>();
  const managedTagId = tags.get(managedTag(exp.listId))?.id;
  const unsubscribedTagId = tags.get(unsubscribedTag(exp.listId))?.id;
  const ctx = {
    perstagByFieldId,
    unsubscribedTagLinks,
    ...(managedTagId !== undefined ? { managedTagId } : {}),
    ...(unsubscribedTagId !== undefined ? { unsubscribedTagId } : {}),
  };

  // Indexed as it is read (observed-list.ts): the plan then starts comparing at the segment's first row.
  const observed = new ObservedList(exp.mapping);
  const listHash = createHash('sha256');
  let managedActive = 0;
  // Through the local snapshot when one is fresh: it only ever saves requests (engine/snapshot/read-list.ts).
  for await (const page of readListMembersCached(api, {
    hostname: connection.hostname,
    listId: exp.listId,
    cacheDir: cacheDirFor(config.file),
    ...snapshotSettings(input.refresh, input.env),
    ...(input.clock !== undefined ? { clock: input.clock } : {}),
    onPage: (done, total) => sink({ type: 'plan:progress', export: exp.name, phase: 'list', done, ...(total !== undefined ? { total } : {}) }),
    onReport: (r) => sink({ type: 'plan:list-read', export: exp.name, listId: exp.listId, mode: r.mode, fetched: r.fetched, members: r.members, ...(r.reason !== undefined ? { reason: r.reason } : {}) }),
    ...(signal ? { signal } : {}),
  })) {
    for (const member of page) {
      const o = toObserved(member, ctx);
      observed.add(o);
      if (o.managed && (o.listStatus === 0 || o.listStatus === 1)) managedActive++;
      listHash.update(
        `${o.id}\u0000${o.email}\u0000${o.listStatus}\u0000${o.firstName ?? ''}\u0000${o.lastName ?? ''}\u0000${o.phone ?? ''}\u0000${JSON.stringify(o.fields ?? {})}\u0000${o.managed ? 1 : 0}${o.unsubscribedByAcsync ? 1 : 0}\n`,
      );
    }
  }
  return {
    observed,
    fieldIds,
    unsubscribedTagLinks,
    knownTagIds: new Map([...tags].map(([name, tag]) => [name, tag.id])),
    managedActive,
    fingerprint: listHash.digest('hex'),
  };
}
