import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** The kinds of file edgevis writes into a camera's media folder. */
export type MediaKind = 'segment' | 'clip' | 'snapshot';

/** The sub-folder of a camera's folder that holds each kind ('' = the camera's folder itself). */
export const MEDIA_FOLDER: Readonly<Record<MediaKind, '' | 'clips' | 'snapshots'>> = {
  segment: '',
  clip: 'clips',
  snapshot: 'snapshots',
};

/**
 * Whether `name` (a bare file name) is one edgevis writes for `kind` in camera `cameraId`'s folder,
 * by its exact scheme: segments `<camera>-<n>.mkv` while written and
 * `<camera>-<yyyymmddThhmmssZ>-<n>.mkv` once finished (n: 6 or more digits), clips
 * `<camera>-<epoch>-<n>.mp4`, snapshots `<camera>-<epoch>-<trackId>.jpg`. Nothing else in the
 * folder (another camera's files, a person's notes, a clip still being written) is served or deleted.
 * Camera ids are letters, digits, `_` and `-` (CAMERA_ID_PATTERN), so they need no escaping here.
 */
export function isMediaName(kind: MediaKind, cameraId: string, name: string): boolean {
  const scheme =
    kind === 'segment' ? /^-(?:\d{8}T\d{6}Z-)?\d{6,}\.mkv$/ : kind === 'clip' ? /^-\d+-\d+\.mp4$/ : /^-\d+-\d+\.jpg$/;
  return name.startsWith(cameraId) && scheme.test(name.slice(cameraId.length));
}

/**
 * The stat of `path` if it is a regular file or folder of its own, not a symbolic link (lstat);
 * undefined when it is missing, a link or something else.
 */
export function plainEntry(path: string, want: 'file' | 'folder'): Stats | undefined {
  try {
    const s = lstatSync(path);
    return (want === 'file' ? s.isFile() : s.isDirectory()) ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The real path of a camera's folder for `kind` (its own or `clips/`, `snapshots/`), or null when
 * it (or the camera's folder) does not exist, is a link, or resolves outside the recordings folder.
 * The recordings folder itself may be a link (a mount point elsewhere). A file read from the folder
 * returned needs only its own last step guarded (`O_NOFOLLOW`): no link is left on the way there.
 */
export function cameraFolderPath(recordingsDir: string, cameraId: string, kind: MediaKind): string | null {
  let root: string;
  try {
    root = realpathSync(recordingsDir);
  } catch {
    return null;
  }
  const camera = join(root, cameraId);
  const folder = join(camera, MEDIA_FOLDER[kind]);
  if (!plainEntry(camera, 'folder') || !plainEntry(folder, 'folder')) return null;
  try {
    return realpathSync(folder) === folder ? folder : null;
  } catch {
    return null;
  }
}
