// The `veralloc` command line. Commands live one per file under Commands/ and register here.
return 0;
