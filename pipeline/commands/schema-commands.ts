import { configJsonSchema } from '../../config/load.js';
import { trackMessagesJsonSchema } from '../../operators/wire/message-schema.js';

/** `edgevis config-schema`: prints the config file's JSON Schema (every field with its description, unit and default). */
export function configSchemaCommand(): void {
  process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
}

/** `edgevis message-schema`: prints the published messages' JSON Schema (operators/wire/track-messages.schema.json). */
export function messageSchemaCommand(): void {
  process.stdout.write(`${JSON.stringify(trackMessagesJsonSchema(), null, 2)}\n`);
}
