"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type KeyboardEvent, useId, useState } from "react";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { useDebouncedValue } from "@/lib/use-debounced-value";

/** The top bar's catalog search: autocomplete on asset names; Enter searches the catalog page. */
export function CatalogSearchBox() {
  const router = useRouter();
  const listId = useId();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(-1);
  const [isOpen, setOpen] = useState(false);
  // Debounced; each text is its own query, so only the answer to the latest text is shown (the
  // last answer stays until the next one comes).
  const text = useDebouncedValue(query.trim(), 150);
  const { data } = useQuery({
    queryKey: queryKeys.catalogSuggestions(text),
    queryFn: () => apiClient("autocompleteAssets", { query: { q: text } }),
    enabled: text.length >= 2,
    placeholderData: keepPreviousData,
  });
  const suggestions = query.trim().length >= 2 && text.length >= 2 ? (data?.suggestions ?? []) : [];
  const go = (href: string) => {
    setOpen(false);
    router.push(href);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      setActive((index) => Math.min(index + 1, suggestions.length - 1));
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      setActive((index) => Math.max(index - 1, -1));
    } else if (event.key === "Escape") {
      setOpen(false);
    } else if (event.key === "Enter") {
      event.preventDefault();
      const chosen = suggestions[active];
      if (chosen && isOpen) go(`/catalog/assets/${chosen.id}`);
      else if (query.trim()) go(`/catalog?${new URLSearchParams({ q: query.trim() })}`);
    }
  };
  return (
    <div className="relative w-64">
      <input
        type="search"
        role="combobox"
        aria-label="Search the data catalog"
        aria-expanded={isOpen && suggestions.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
        className="input py-1.5"
        placeholder="Search data…"
        value={query}
        onChange={(event) => {
          // The list opens for the answer to what is typed, nothing picked in it yet.
          setQuery(event.target.value);
          setActive(-1);
          setOpen(true);
        }}
        onKeyDown={onKeyDown}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      {isOpen && suggestions.length > 0 && (
        <div
          id={listId}
          role="listbox"
          aria-label="Catalog suggestions"
          className="card absolute left-0 z-20 mt-1 w-80 py-1"
        >
          {suggestions.map((item, index) => (
            <div
              key={item.id}
              id={`${listId}-${index}`}
              role="option"
              tabIndex={-1}
              aria-selected={index === active}
              className={`cursor-pointer px-3 py-1.5 text-sm ${index === active ? "bg-slate-100" : "hover:bg-slate-50"}`}
              onMouseDown={(event) => {
                // mousedown, not click: the input's blur would close the list before a click lands.
                event.preventDefault();
                go(`/catalog/assets/${item.id}`);
              }}
            >
              <span className="font-medium">{item.name}</span>{" "}
              <span className="text-xs text-slate-500">
                {item.kind} · {item.projectName}
              </span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
