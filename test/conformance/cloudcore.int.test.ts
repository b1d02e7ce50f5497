import { cloudcoreTarget } from './cloudcore-target.js'
import { runInformerConformance } from './informer-suite.js'

// The embedded API server over SQLite. Automatic compaction would race the 410 test; the suite
// compacts on demand instead.
runInformerConformance('cloudcore (SQLite)', async () => await cloudcoreTarget({ store: { type: 'sqlite', compactIntervalMs: 0 }, logLevel: 'warn' }))
