// The throw-away databases are test equipment shared with the benchmarks: they live in testkit/.
export * from '../../testkit/databases.ts';
