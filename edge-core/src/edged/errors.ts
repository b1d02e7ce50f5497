import { CodedError } from '@edgemesh/common'

export const ERROR_CATALOGUE = {
  EDGED_IMAGE_UNKNOWN: 'a container image that is not in the process runtime table (edged.images); the pod waits with reason ErrImagePull',
  EDGED_CONTAINER_CONFIG: 'a container cannot be configured (a missing ConfigMap/Secret/key, an unknown volume type, a bad env reference); the pod waits with reason CreateContainerConfigError',
  EDGED_START_FAILED: 'a container process could not be started (command not found, not executable); the container waits with reason RunContainerError',
  EDGED_NETWORK_FAILED: 'the pod network could not be set up or torn down (bridge, netns, veth, address)',
  EDGED_IPAM_EXHAUSTED: 'no free address left in the node\'s pod CIDR',
  EDGED_STATE_INVALID: 'a persisted edged state file that cannot be read; it is set aside and rebuilt'
} as const
export type EdgedErrorCode = keyof typeof ERROR_CATALOGUE

export class EdgedError extends CodedError<EdgedErrorCode> {}
