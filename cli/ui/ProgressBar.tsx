/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/** A plain block progress bar: full blocks for done, light shade for the rest (readable without colour too). */
import { Text } from 'ink';

export function progressCells(done: number, total: number, width: number): { filled: number; empty: number } {
  const ratio = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(ratio * width);
  return { filled, empty: width - filled };
}

export function ProgressBar({ done, total, width, color = 'green' }: { done: number; total: number; width: number; color?: string }) {
  const { filled, empty } = progressCells(done, total, width);
  return (
    <Text>
      <Text color={color}>{'█'.repeat(filled)}</Text>
      <Text dimColor>{'░'.repeat(empty)}</Text>
    </Text>
  );
}
