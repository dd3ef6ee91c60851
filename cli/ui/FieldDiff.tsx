/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/**
 * One field's before → after, with the changed words highlighted (diffWordsWithSpace), so a reviewer sees at a
 * glance that only "Karl" became "Carl" in a long value.
 */
import { Text } from 'ink';
import { diffWordsWithSpace } from 'diff';
import type { FieldChange } from '../../engine/model.ts';
import { SENSITIVE_VALUE } from '../../engine/sensitive.ts';
import { showValue } from '../report/plan-text.ts';

export function FieldDiff({ change, fieldWidth }: { change: FieldChange; fieldWidth: number }) {
  const label = <Text dimColor>{change.field.padEnd(fieldWidth)}</Text>;
  // An empty before has no words to compare, and a sensitive value is not the value: shown as words, unquoted.
  if (change.before === undefined || change.before === '' || change.before === SENSITIVE_VALUE || change.after === SENSITIVE_VALUE) {
    return (
      <Text>
        {label}  <Text {...(change.before === undefined || change.before === '' ? { dimColor: true } : { color: 'red' })}>{showValue(change.before)}</Text> <Text dimColor>→</Text> <Text color="green">{showValue(change.after)}</Text>
      </Text>
    );
  }
  const parts = diffWordsWithSpace(change.before, change.after);
  return (
    <Text>
      {label}  <Text color="red">"</Text>
      {parts.filter((d) => !d.added).map((d, i) => (d.removed ? <Text key={i} color="red" bold>{d.value}</Text> : <Text key={i}>{d.value}</Text>))}
      <Text color="red">"</Text> <Text dimColor>→</Text> <Text color="green">"</Text>
      {parts.filter((d) => !d.removed).map((d, i) => (d.added ? <Text key={i} color="green" bold>{d.value}</Text> : <Text key={i}>{d.value}</Text>))}
      <Text color="green">"</Text>
    </Text>
  );
}
