// aedes-persistence-level 9 ships no types. It takes an abstract-level database (level >= 9)
// and returns a persistence object whose setup() is async, as aedes 1.x requires.
declare module 'aedes-persistence-level' {
  function aedesPersistenceLevel(db: unknown): unknown;
  export default aedesPersistenceLevel;
}
