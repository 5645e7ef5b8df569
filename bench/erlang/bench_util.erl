%% Helpers shared by the Erlang benchmarks: BENCH_N, a monotonic clock, one JSON line.
-module(bench_util).
-export([env_int/2, now_us/0, print/1, schedulers/0]).

%% An integer from the environment (BENCH_N...), or Default.
env_int(Name, Default) ->
    case os:getenv(Name) of
        false -> Default;
        "" -> Default;
        Text -> list_to_integer(Text)
    end.

now_us() -> erlang:monotonic_time(microsecond).

schedulers() -> erlang:system_info(schedulers_online).

%% Prints `BENCH {json}` from a flat list of {Key, Value} with numbers, atoms or booleans.
print(Pairs) ->
    Fields = [io_lib:format("\"~s\":~s", [K, value(V)]) || {K, V} <- Pairs],
    io:format("BENCH {~s}~n", [lists:join(",", Fields)]).

value(true) -> "true";
value(false) -> "false";
value(V) when is_integer(V) -> integer_to_list(V);
value(V) when is_float(V) -> float_to_list(V, [{decimals, 6}, compact]);
value(V) when is_atom(V) -> [$", atom_to_list(V), $"];
value(V) when is_list(V) -> [$", V, $"].
