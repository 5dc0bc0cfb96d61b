// Watches source trees for make dev: every save of a file, however the editor saves it.
//
// Node 20's recursive `fs.watch` on Linux watches each file's inode. A file replaced by a rename
// is reported once and never again: sed -i, git checkout, vim, and editors' "safe write" or
// "atomic save" all replace files that way. A non-recursive watch on a directory sees its entries
// by name, whatever their inode. So this watches every directory of the tree, and adds the ones
// created later.
import { readdirSync, statSync, watch } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';

/**
 * Calls `onChange(path)` on each change under `paths`. A directory is watched with everything
 * below it; a single file is watched through its directory, by name. `path` joins the watched
 * directory and the entry's name (relative when `paths` are). Returns a function that stops
 * every watch.
 */
export function watchTree(paths, onChange) {
  /** Directory -> { watcher, names }: `names` is the set of entries reported there, or null for all. */
  const watched = new Map();

  const isDirectory = (path) => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  };

  function watchDirectory(dir, names) {
    const known = watched.get(dir);
    if (known) {
      if (known.names && names) for (const name of names) known.names.add(name);
      else known.names = null;
      return;
    }
    let watcher;
    try {
      watcher = watch(dir, (_event, name) => {
        const entry = watched.get(dir);
        // A watch ended, or replaced by one of a directory made again at the same path.
        if (entry?.watcher !== watcher) return;
        if (name === null) return onChange(dir);
        if (entry.names && !entry.names.has(name)) return;
        const path = join(dir, name);
        // Under a tree, a directory created, moved in, removed or made again: watched as it is
        // now. Always anew: a directory made again may get the old one's inode number, while
        // the old watch ended with the old directory.
        if (entry.names === null) {
          const directory = isDirectory(path);
          if (directory || watched.has(path)) {
            unwatchTree(path);
            if (directory) watchTree(path);
          }
        }
        onChange(path);
      });
    } catch {
      return; // removed before it could be watched: its parent reports it
    }
    // The directory itself removed or renamed: its watch ends (unless already replaced), and the
    // parent reports the change.
    watcher.on('error', () => {
      if (watched.get(dir)?.watcher === watcher) unwatchTree(dir);
      else watcher.close();
    });
    watched.set(dir, { watcher, names: names && new Set(names) });
  }

  function watchTree(dir) {
    watchDirectory(dir, null);
    let entries = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) if (entry.isDirectory()) watchTree(join(dir, entry.name));
  }

  /** Ends the watches of `dir` and of every directory below it. */
  function unwatchTree(dir) {
    for (const [path, { watcher }] of watched) {
      if (path === dir || path.startsWith(dir + sep)) {
        watcher.close();
        watched.delete(path);
      }
    }
  }

  for (const path of paths) {
    if (isDirectory(path)) watchTree(path);
    else watchDirectory(dirname(path), [basename(path)]);
  }
  return () => {
    for (const { watcher } of watched.values()) watcher.close();
    watched.clear();
  };
}
