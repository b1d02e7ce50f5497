import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type KeadmCode = keyof typeof ERROR_CATALOGUE

export class KeadmError extends CodedError<KeadmCode> {}

export const ERROR_CATALOGUE = {
  KEADM_ALREADY_RUNNING: 'keadm init/join found the daemon it started earlier for this data dir still running; run keadm reset first.',
  KEADM_NOT_INITIALISED: 'keadm gettoken found no cluster CA in the data dir; run keadm init first (or pass the data dir it used).',
  KEADM_START_FAILED: 'The daemon keadm started exited, or did not report ready in time; the error carries the end of its log.',
  KEADM_NOT_OURS: 'keadm reset refused to stop a process or remove a directory it did not start or create (no keadm state file, or the pid now belongs to another program).',
  KEADM_BAD_ADDRESS: 'An address flag is not HOST:PORT (or an --advertise-address is not an IPv4 address).'
} as const satisfies Record<string, string>
