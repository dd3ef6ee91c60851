/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
/** A y/N question; Enter, Escape, Ctrl-C and anything but y/yes mean No (applying is the thing to be sure about). */
import { useRef, useState } from 'react';
import { Text, useInput } from 'ink';

export function ConfirmPrompt({ question, onAnswer }: { question: string; onAnswer: (yes: boolean) => void }) {
  const [typed, setTyped] = useState('');
  const [answered, setAnswered] = useState<boolean | undefined>(undefined);
  // Keys typed before React re-renders reach the same handler: the ref makes sure only the first answer counts.
  const done = useRef(false);
  useInput(
    (input, key) => {
      if (done.current) return;
      const finish = (yes: boolean): void => {
        done.current = true;
        setAnswered(yes);
        onAnswer(yes);
      };
      if (key.return) return finish(/^y(es)?$/i.test(typed.trim()));
      if (key.escape || (key.ctrl && input === 'c')) return finish(false);
      if (key.backspace || key.delete) return setTyped((t) => t.slice(0, -1));
      if (typed === '' && /^[yn]$/i.test(input)) return finish(input.toLowerCase() === 'y');
      setTyped((t) => t + input);
    },
    { isActive: answered === undefined },
  );
  return (
    <Text>
      <Text bold>{question}</Text> <Text dimColor>[y/N]</Text> {answered === undefined ? typed : answered ? <Text color="green">yes</Text> : <Text color="red">no</Text>}
    </Text>
  );
}
