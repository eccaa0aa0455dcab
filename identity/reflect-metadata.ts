/**
 * The `Reflect` metadata functions tsyringe (a dependency of @peculiar/x509) checks for at load time
 * and uses to record constructor parameter types. The usual source is the `reflect-metadata` package,
 * which is not installed here; this is the subset tsyringe calls. Import it before @peculiar/x509.
 */
type MetadataTarget = object;
const store = new WeakMap<MetadataTarget, Map<unknown, unknown>>();

interface ReflectWithMetadata {
  getMetadata?(key: unknown, target: MetadataTarget): unknown;
  getOwnMetadata?(key: unknown, target: MetadataTarget): unknown;
  defineMetadata?(key: unknown, value: unknown, target: MetadataTarget): void;
  hasMetadata?(key: unknown, target: MetadataTarget): boolean;
  metadata?(key: unknown, value: unknown): (target: MetadataTarget) => void;
}

const reflect = Reflect as unknown as ReflectWithMetadata;
if (!reflect.getMetadata) {
  const lookup = (target: MetadataTarget, key: unknown): unknown => {
    for (let current: MetadataTarget | null = target; current; current = Object.getPrototypeOf(current) as MetadataTarget | null) {
      const found = store.get(current);
      if (found?.has(key)) return found.get(key);
    }
    return undefined;
  };
  reflect.getMetadata = (key, target) => lookup(target, key);
  reflect.getOwnMetadata = (key, target) => store.get(target)?.get(key);
  reflect.hasMetadata = (key, target) => lookup(target, key) !== undefined;
  reflect.defineMetadata = (key, value, target) => {
    const entries = store.get(target) ?? new Map<unknown, unknown>();
    entries.set(key, value);
    store.set(target, entries);
  };
  reflect.metadata = (key, value) => (target) => reflect.defineMetadata!(key, value, target);
}
