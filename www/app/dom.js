// Small DOM and text helpers shared by the page's modules.

export const $ = (id) => document.getElementById(id);

export const encoder = new TextEncoder();
// ignoreBOM keeps a byte order mark in the text, so that it can be shown.
export const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The children worth appending: `null` and `undefined` dropped (append would print them). */
export const present = (children) => children.filter((child) => child !== null && child !== undefined);

/** A new element with attributes (`class`, `dataset` and plain attributes) and children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  node.append(...present(children));
  return node;
}

export function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
