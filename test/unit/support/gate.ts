/** A promise held until `open()` is called: a test holds one party of a race at a chosen point. */
export interface Gate {
  readonly held: Promise<void>;
  readonly open: () => void;
}

export const gate = (): Gate => {
  let open!: () => void;
  const held = new Promise<void>((resolve) => (open = resolve));
  return { held, open };
};
