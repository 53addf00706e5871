// Coyote's TestingEngine installs process-wide hooks (an unhandled-exception handler, a static cache of controlled
// monitors); the lane's runs go one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
