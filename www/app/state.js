// What the page remembers between renders; the rest is read from the fields each time.

export const state = {
  // The body's exact bytes when a text field cannot hold them (CR from a paste, a file or a
  // raw request); null when the payload field's text is the body.
  exactBody: null,
  exactRaw: null,
  // Whether the signature was taken from the legacy header of a pasted request.
  legacyHeader: false,
  // Event type -> description, from the core once it has loaded.
  known: new Map(),
  // The signature header names as the core spells them, canonical first.
  headers: [],
};
