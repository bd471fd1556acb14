import { z } from 'zod';

/**
 * The one rule for camera ids: 1-64 characters, letters, digits, `_` and `-`, starting with a
 * letter or digit. Ids are MQTT topic segments and URL path segments, so no `/`, `+`, `#`, spaces.
 */
export const CAMERA_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** zod schema of a camera id (config and wire format share it). */
export const cameraIdSchema = z.string().regex(CAMERA_ID_PATTERN, 'camera id must be 1-64 letters, digits, "_" or "-" (it is used in MQTT topics)');
