// TodoList: a pure data structure, the state of the TodoServer examples (todo_server.ts and
// registered_todo_server.ts). Plain functions over a value that is never changed: addEntry
// returns a new list. Not a program of its own: the servers import it.

export interface Entry {
  readonly date: string;
  readonly title: string;
}

/** An entry in the list: the entry plus the id the list gave it. */
export interface Todo extends Entry {
  readonly id: number;
}

export interface TodoList {
  readonly nextId: number;
  readonly entries: ReadonlyMap<number, Todo>;
}

export function newTodoList(): TodoList {
  return { nextId: 1, entries: new Map() };
}

export function addEntry(list: TodoList, entry: Entry): TodoList {
  const entries = new Map(list.entries);
  entries.set(list.nextId, { id: list.nextId, date: entry.date, title: entry.title });
  return { nextId: list.nextId + 1, entries };
}

export function entries(list: TodoList, date: string) {
  return [...list.entries.values()].filter((e) => e.date === date);
}
