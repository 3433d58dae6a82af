// What the vitest global setup provides to test files.
export {};

declare module "vitest" {
  export interface ProvidedContext {
    flintTestDatabaseUrl: string;
  }
}
