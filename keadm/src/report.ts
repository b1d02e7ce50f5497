/** What keadm prints: a progress line per step for humans, or one JSON document (`--output json`). */
export interface Reporter {
  step: (name: string, detail?: string) => void
  /** The command's result; printed as `lines` for humans, as `data` in JSON. */
  done: (data: Record<string, unknown>, lines: string[]) => void
}

export function reporter (output: 'text' | 'json', write: (s: string) => void): Reporter {
  const steps: Array<{ step: string, detail?: string }> = []
  return {
    step: (name, detail) => {
      steps.push(detail === undefined ? { step: name } : { step: name, detail })
      if (output === 'text') write(`[${steps.length}] ${name}${detail === undefined ? '' : `: ${detail}`}`)
    },
    done: (data, lines) => {
      if (output === 'json') write(JSON.stringify({ ...data, steps }))
      else for (const l of lines) write(l)
    }
  }
}
