// @edgemesh/kube: import the part you need from its subpath (machinery, client, storage, server);
// this root re-exports machinery only, the part every consumer needs.
export * from './machinery/index.js'
