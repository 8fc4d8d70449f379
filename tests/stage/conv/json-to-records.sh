# json-to-records reads JSON, not records
small="$T/in.jsonl"
big="$T/big.jsonl"
