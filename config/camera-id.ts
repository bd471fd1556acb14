import { z } from 'zod';

/**
 * The one rule for camera ids: 1-64 characters, letters, digits, `_` and `-`, starting with a
 * letter or digit. Ids are MQTT topic segments and URL path segments, so no `/`, `+`, `#`, spaces.
 */
export const CAMERA_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Ids a camera cannot have because a topic of the schema already uses that segment:
 * `<prefix>/nodes/<nodeId>/status` is the node status (a camera `nodes` would publish its
 * `<prefix>/nodes/status` beside it, and subscribers to `<prefix>/nodes/+/status` would get it).
 */
export const RESERVED_CAMERA_IDS: readonly string[] = ['nodes'];

/** zod schema of a camera id (config and wire format share it). */
export const cameraIdSchema = z
  .string()
  .regex(CAMERA_ID_PATTERN, 'camera id must be 1-64 letters, digits, "_" or "-" (it is used in MQTT topics)')
  .refine((id) => !RESERVED_CAMERA_IDS.includes(id), {
    message: `camera id is reserved (${RESERVED_CAMERA_IDS.join(', ')}: a topic segment of edgevis itself); choose another`,
  });
