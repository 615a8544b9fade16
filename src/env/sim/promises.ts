// Promises the simulator settles from its events (a call's reply, a disk operation's completion),
// made without a closure per promise: the executor is one function that hands the resolving
// functions over in `made`. It never settles a promise itself and never decides when one settles.

/** The resolving functions of the promise newPromise() made last: take them before the next call. */
export const made: { resolve: (value: unknown) => void; reject: (error: unknown) => void } = { resolve: () => undefined, reject: () => undefined };

function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  made.resolve = resolve;
  made.reject = reject;
}

/** A new pending promise; its resolving functions are in `made` until the next call. */
export function newPromise<T>(): Promise<T> {
  return new Promise<T>(capture as (resolve: (value: T) => void, reject: (error: unknown) => void) => void);
}
