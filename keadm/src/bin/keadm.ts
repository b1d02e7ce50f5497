#!/usr/bin/env node
import { keadm } from '../bin-main.js'

process.exitCode = await keadm(process.argv.slice(2), { log: s => { console.log(s) }, error: s => { console.error(s) } })
