// The server gates rendezvous, punch and relay use on the mesh auth service; the interface and the
// bounded wait (on the `peer:authenticated` event, not a poll) live in @edgemesh/mesh.
export { authorizedWithin, type PeerAuthorizer } from '@edgemesh/mesh'
