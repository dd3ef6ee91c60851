/**
 * How each change action looks to a person: one symbol, one colour, one verb. Shared by the text renderer and the
 * Ink views so a terminal and a CI log read the same. The symbols follow Terraform's (+ create, ~ update, - destroy).
 */
import type { ChangeAction } from '../../engine/model.ts';
import type { StyleName } from './style.ts';

export interface ActionLook {
  symbol: string;
  /** Ink colour name and ANSI style name (the same words). */
  color: StyleName & ('green' | 'yellow' | 'cyan' | 'blue' | 'red' | 'magenta');
  /** Column header and group title: "create", "update", ... */
  title: string;
  /** In the `Plan:` sentence: "3 to create". */
  phrase: string;
}

export const ACTION_LOOK: Record<ChangeAction, ActionLook> = {
  create: { symbol: '+', color: 'green', title: 'create', phrase: 'to create' },
  update: { symbol: '~', color: 'yellow', title: 'update', phrase: 'to update' },
  subscribe: { symbol: '>', color: 'cyan', title: 'subscribe', phrase: 'to subscribe' },
  resubscribe: { symbol: '»', color: 'blue', title: 'resubscribe', phrase: 'to resubscribe' },
  unsubscribe: { symbol: '-', color: 'red', title: 'unsubscribe', phrase: 'to unsubscribe' },
  noop: { symbol: '=', color: 'green', title: 'unchanged', phrase: 'unchanged' },
  skip: { symbol: '!', color: 'magenta', title: 'skip', phrase: 'skipped' },
};

/** The actions that write to ActiveCampaign, in the order they are shown. */
export const WRITE_ACTIONS = ['create', 'update', 'subscribe', 'resubscribe', 'unsubscribe'] as const satisfies readonly ChangeAction[];

/** Every action with a group in the plan listing (noops are only counted). */
export const LISTED_ACTIONS = [...WRITE_ACTIONS, 'skip'] as const satisfies readonly ChangeAction[];

/**
 * How many changes of one kind are listed before "… and N more (use --full)". Twenty lines per kind keep a plan of
 * a large list readable in a terminal and a CI log while still showing enough examples to review.
 */
export const CHANGES_SHOWN_PER_KIND = 20;
