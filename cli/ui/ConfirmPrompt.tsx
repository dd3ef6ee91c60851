/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/**
 * Approval as Terraform asks for it: only "yes" and Enter approve. A single keystroke never does (a stray `y`
 * would send personal data to a production list, and typing "yes" from habit left "es" on the shell). Enter on
 * anything else and Escape mean No; Ctrl-C means the person interrupted (the command exits 130).
 */
import { useRef, useState } from 'react';
import { Text, useInput } from 'ink';

export type ConfirmAnswer = 'yes' | 'no' | 'interrupted';

/** The hint shown after the question. */
export const CONFIRM_HINT = "Only 'yes' will be accepted:";

export function ConfirmPrompt({ question, onAnswer }: { question: string; onAnswer: (answer: ConfirmAnswer) => void }) {
  const [typed, setTyped] = useState('');
  const [answered, setAnswered] = useState<ConfirmAnswer | undefined>(undefined);
  // Keys typed before React re-renders reach the same handler: the ref makes sure only the first answer counts.
  const done = useRef(false);
  // The text typed so far, as the handler sees it between renders (several keys can arrive in one tick).
  const buffer = useRef('');
  useInput(
    (input, key) => {
      if (done.current) return;
      const finish = (answer: ConfirmAnswer): void => {
        done.current = true;
        setAnswered(answer);
        onAnswer(answer);
      };
      if (key.return) return finish(buffer.current.trim() === 'yes' ? 'yes' : 'no');
      if (key.ctrl && input === 'c') return finish('interrupted');
      if (key.escape) return finish('no');
      if (key.backspace || key.delete) buffer.current = buffer.current.slice(0, -1);
      else {
        // A paste may bring "yes\r" in one chunk.
        const cr = input.indexOf('\r');
        if (cr !== -1) {
          buffer.current += input.slice(0, cr);
          return finish(buffer.current.trim() === 'yes' ? 'yes' : 'no');
        }
        buffer.current += input;
      }
      setTyped(buffer.current);
    },
    { isActive: answered === undefined },
  );
  return (
    <Text>
      <Text bold>{question}</Text> <Text dimColor>{CONFIRM_HINT}</Text>{' '}
      {answered === undefined ? typed : answered === 'yes' ? <Text color="green">yes</Text> : <Text color="red">{answered === 'no' ? 'no' : 'interrupted'}</Text>}
    </Text>
  );
}
