// Loads Monaco once, on demand, and lets components wait for it.
"use client";
import { useEffect, useState } from "react";
import type { TMonaco } from "./monaco";

let loading: Promise<TMonaco> | null = null;
let loaded: TMonaco | null = null;

export function loadMonaco(): Promise<TMonaco> {
  loading ??= import("./monaco").then((module) => {
    loaded = module.monaco;
    return module.monaco;
  });
  return loading;
}

export function getLoadedMonaco(): TMonaco | null {
  return loaded;
}

/** Monaco once it has loaded (starting the load), `null` until then. */
export function useMonaco(): TMonaco | null {
  const [monaco, setMonaco] = useState<TMonaco | null>(loaded);
  useEffect(() => {
    if (monaco) return;
    let isCurrent = true;
    void loadMonaco().then((value) => {
      if (isCurrent) setMonaco(value);
    });
    return () => {
      isCurrent = false;
    };
  }, [monaco]);
  return monaco;
}
