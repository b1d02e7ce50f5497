export { MetricsReporter, metricsReport, type MetricsReporterComponents, type MetricsReporterInit } from './metrics-reporter.js'
export { UsageCollector, type ContainerProcess, type ContainerUsage, type Usage, type UsageCollectorComponents, type UsageCollectorInit, type UsageSample, type UsageSource } from './usage-collector.js'
export { parseMeminfo, parsePidStat, parseProcStat, type CpuTimes, type PidStat } from './proc.js'
