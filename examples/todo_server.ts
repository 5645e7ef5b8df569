// TodoServer: a server process whose state is a pure, immutable data structure (a TodoList).
//
// TodoList (examples/todo_list.ts) is plain functions over a value that is never changed:
// addEntry returns a new list.
// TodoServer keeps the current list in its loop, like the calculator keeps its number:
// ["add_entry", entry] makes a new list; ["entries", caller, date] answers with that day's entries.
//
// Run:   npx beamline run examples/todo_server.ts
//   or:  node dist/runtime/cli.js run examples/todo_server.ts
//
// What to watch: entriesOf(server, date) lists only that day's entries, with the ids the list
// gave them. Dates are ISO strings ("2025-12-19"): a Date object cannot be sent in a message.
// The last step changes an entry object after sending it; the server still has the original,
// because every message is a deep copy (shared-nothing).

import { spawn, send, receive, on, self, where, Pid } from "beamline";
import { addEntry, entries, newTodoList, type Entry, type Todo, type TodoList } from "./todo_list.js";

// ---- TodoServer: a process that holds a TodoList -------------------------------------------

export function start(): Pid {
  return spawn(loop, newTodoList());
}

function* loop(todoList: TodoList) {
  for (;;) {
    // Each clause returns the next state; the loop goes on with it.
    todoList = yield* receive(
      on(["add_entry", { date: String, title: String }], ([, entry]) => addEntry(todoList, entry)),
      on(["entries", Pid, String], ([, caller, date]) => {
        send(caller, ["todo_entries", entries(todoList, date)]);
        return todoList;
      }),
    );
  }
}

// ---- the client interface --------------------------------------------------------------------

export function addEntryTo(server: Pid, entry: Entry): void {
  send(server, ["add_entry", entry]);
}

export function* entriesOf(server: Pid, date: string) {
  send(server, ["entries", self(), date]);
  return yield* receive(on(["todo_entries", TodoArray], ([, list]) => list));
}

/** A guard pattern: matches an array, and tells TypeScript it is an array of todos. */
const TodoArray = where((x): x is Todo[] => Array.isArray(x));

// ---- the demo ----------------------------------------------------------------------------------

export function* main() {
  const server = start();
  console.log(`started a todo server ${server} holding an empty TodoList\n`);

  addEntryTo(server, { date: "2025-12-19", title: "Dentist" });
  addEntryTo(server, { date: "2025-12-20", title: "Shopping" });
  addEntryTo(server, { date: "2025-12-19", title: "Movies" });
  console.log("added: Dentist (2025-12-19), Shopping (2025-12-20), Movies (2025-12-19)\n");

  for (const date of ["2025-12-19", "2025-12-20", "2025-12-21"]) {
    const todos = yield* entriesOf(server, date);
    console.log(`entries for ${date}: ${todos.length === 0 ? "(none)" : todos.map((t) => `#${t.id} ${t.title}`).join(", ")}`);
  }

  // send copies the message: changing the object after sending cannot reach the server.
  const entry = { date: "2025-12-21", title: "Call mom" };
  addEntryTo(server, entry);
  entry.title = "changed after sending";
  const later = yield* entriesOf(server, "2025-12-21");
  console.log(`\nmain sent { title: "Call mom" }, then set its own object's title to "${entry.title}"`);
  console.log(`entries for 2025-12-21: ${later.map((t) => `#${t.id} ${t.title}`).join(", ")}  (the server got a copy)`);
}
