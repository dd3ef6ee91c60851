/**
 * Custom field value checks by field type, as ActiveCampaign answers them with 422
 * ("The custom field value `abc` could not be saved to the custom field of type `date`.").
 */
import type { FieldRec } from './store.ts';

/** Why the value cannot be stored in this field, or undefined when it can. */
export function fieldValueProblem(field: FieldRec, value: string): string | undefined {
  const ok = (() => {
    switch (field.type) {
      case 'date':
        return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
      case 'datetime':
        return !Number.isNaN(Date.parse(value));
      case 'number':
        return /^-?\d+(\.\d+)?$/.test(value.trim());
      default:
        return true;
    }
  })();
  return ok || value === '' ? undefined : `The custom field value \`${value}\` could not be saved to the custom field of type \`${field.type}\`.`;
}
