// A registered TodoServer: the server registers itself under the name "todo_server", and the
// client interface sends to that name, so callers no longer pass a pid around.
//
// Rules for names (as on the BEAM): a name is unique, a process holds at most one name, and the
// name is freed when its process ends. Registering a taken name throws a RegistryError.
//
// Run:   npx beamline run examples/registered_todo_server.ts
//   or:  node dist/runtime/cli.js run examples/registered_todo_server.ts
//
// What to watch: addEntry/entries take no pid; whereis("todo_server") finds the server;
// trying to register "todo_server" a second time prints the runtime's error message.

import { spawn, send, receive, on, self, where, register, registered, whereis, RegistryError, Pid } from "beamline";
import { addEntry, entries, newTodoList, type Entry, type Todo, type TodoList } from "./todo_list.js";

// ---- TodoServer, registered as "todo_server" -------------------------------------------------

/**
 * Starts the server and waits until it has registered its name. Without this wait, a client
 * could send to "todo_server" before the new process has run at all, and the name would not
 * exist yet (send to an unknown name throws).
 */
export function* start() {
  const pid = spawn(server, self());
  yield* receive(on(["started", pid]));
  return pid;
}

function* server(parent: Pid) {
  register("todo_server", self());
  send(parent, ["started", self()]);
  yield* loop(newTodoList());
}

function* loop(todoList: TodoList) {
  for (;;) {
    todoList = yield* receive(
      on(["add_entry", { date: String, title: String }], ([, entry]) => addEntry(todoList, entry)),
      on(["entries", Pid, String], ([, caller, date]) => {
        send(caller, ["todo_entries", entries(todoList, date)]);
        return todoList;
      }),
    );
  }
}

// ---- the client interface: no pid needed -------------------------------------------------------

export function addEntryToServer(entry: Entry): void {
  send("todo_server", ["add_entry", entry]);
}

export function* entriesFromServer(date: string) {
  send("todo_server", ["entries", self(), date]);
  return yield* receive(on(["todo_entries", TodoArray], ([, list]) => list));
}

const TodoArray = where((x): x is Todo[] => Array.isArray(x));

// ---- the demo ----------------------------------------------------------------------------------

export function* main() {
  const pid = yield* start();
  console.log(`started the todo server ${pid}; registered names: ${JSON.stringify(registered())}`);
  console.log(`whereis("todo_server") -> ${whereis("todo_server")}\n`);

  addEntryToServer({ date: "2025-12-19", title: "Dentist" });
  addEntryToServer({ date: "2025-12-20", title: "Shopping" });
  addEntryToServer({ date: "2025-12-19", title: "Movies" });
  for (const date of ["2025-12-19", "2025-12-20"]) {
    const todos = yield* entriesFromServer(date);
    console.log(`entries for ${date}: ${todos.map((t) => `#${t.id} ${t.title}`).join(", ")}`);
  }

  console.log("\nmain now tries to register itself as \"todo_server\" too:");
  try {
    register("todo_server", self());
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    console.log(`  ${error.name}: ${error.message}`);
  }

  console.log("\nand sending to a name nobody registered:");
  try {
    send("calendar_server", ["hello"]);
  } catch (error) {
    console.log(`  ${String(error)}`);
  }
}
