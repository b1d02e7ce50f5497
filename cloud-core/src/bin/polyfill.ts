// Same job as common/src/polyfill.ts, which @edgemesh/common does not export: Node 20 lacks
// Promise.withResolvers and some dependencies (libp2p 3) call it. Entry points import this first.
interface Resolvers<T> { promise: Promise<T>, resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void }

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }
if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: <T>(): Resolvers<T> => {
      const out: Partial<Resolvers<T>> = {}
      out.promise = new Promise<T>((resolve, reject) => { out.resolve = resolve; out.reject = reject })
      return out as Resolvers<T>
    }
  })
}

export {}
