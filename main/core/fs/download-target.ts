/**
 * What is on disk between a download folder and a target path. localPathForKey checks the
 * key's text only; this looks at the folders that already exist on the way, so a download
 * never writes through a symbolic link (it could land anywhere outside the folder) and a file
 * standing where a folder is needed is reported before anything is queued.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Why `target` (inside `root`) cannot be downloaded, or undefined when nothing on disk is in
 * the way. `checked` caches the folders already found to be plain folders (a listing of many
 * keys asks for the same folders again and again).
 */
export async function obstacleBetween(
  root: string,
  target: string,
  checked: Set<string>,
): Promise<string | undefined> {
  const relative = path.relative(root, path.dirname(target));
  if (relative === '') return undefined;
  let current = root;
  for (const segment of relative.split(path.sep)) {
    current = path.join(current, segment);
    if (checked.has(current)) continue;
    let info;
    try {
      info = await lstat(current);
    } catch {
      return undefined; // missing: the download creates it as a plain folder
    }
    if (info.isSymbolicLink())
      return `it would be written through ${JSON.stringify(current)}, a symbolic link, and could land outside ${JSON.stringify(root)}. Download to another folder, or replace the link with a folder.`;
    if (!info.isDirectory())
      return `${JSON.stringify(current)} is a file, and a folder of that name is needed. Move or rename the file, or download to another folder.`;
    checked.add(current);
  }
  return undefined;
}
