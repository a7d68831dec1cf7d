package framework

import (
	"errors"
	"fmt"
	"time"
)

// Storage says where interval snapshots go.
type Storage string

const (
	// StorageMemory keeps snapshots in memory, bounded by RetentionPeriod.
	StorageMemory Storage = "memory"
	// StorageDisk also appends every snapshot as a JSON line to StoragePath
	// as it is taken, so a 24 h run keeps its whole series with bounded
	// memory.
	StorageDisk Storage = "disk"
)

// Config holds the seed's custom keys (collection_interval, retention_period,
// enable_prometheus, prometheus_port, storage_backend, max_connections,
// backlog, message_timeout) as plain fields. Every zero value means the
// seed's default, applied by WithDefaults.
type Config struct {
	// CollectionInterval is the length of one interval snapshot, resource
	// sample and threshold evaluation; zero means 1 s.
	CollectionInterval time.Duration `json:"collection_interval,omitempty"`
	// RetentionPeriod is how much of the interval series stays in memory;
	// zero means 1 h. Older intervals are dropped from memory (still in the
	// cumulative histograms, and on disk with StorageDisk).
	RetentionPeriod time.Duration `json:"retention_period,omitempty"`
	// Prometheus serves the run's metrics (request counters, latency
	// histograms, level gauges) at 127.0.0.1:PrometheusPort while
	// stress.Run runs it; false (the zero value) serves nothing. The engine
	// itself serves nothing: the suites use their -prometheus flag.
	Prometheus bool `json:"enable_prometheus,omitempty"`
	// PrometheusPort is the loopback port of that endpoint; zero means 9090.
	PrometheusPort int `json:"prometheus_port,omitempty"`
	// Storage is StorageMemory (the zero value "" means memory) or
	// StorageDisk.
	Storage Storage `json:"storage_backend,omitempty"`
	// StoragePath is the JSON-lines file for StorageDisk (required then).
	StoragePath string `json:"storage_path,omitempty"`
	// MaxConnections caps Scenario.Sessions; zero means 20,000.
	MaxConnections int `json:"max_connections,omitempty"`
	// Backlog is the listen backlog of a server the framework starts (the
	// embedded reference server of stress.Run; the kernel caps it at
	// net.core.somaxconn); zero means 2048. The engine itself does not
	// listen.
	Backlog int `json:"backlog,omitempty"`
	// MessageTimeout bounds each request; zero means 5 s.
	MessageTimeout time.Duration `json:"message_timeout,omitempty"`
}

// Seed defaults for Config.
const (
	DefaultCollectionInterval = time.Second
	DefaultRetentionPeriod    = time.Hour
	DefaultPrometheusPort     = 9090
	DefaultMaxConnections     = 20000
	DefaultBacklog            = 2048
	DefaultMessageTimeout     = 5 * time.Second
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.CollectionInterval == 0 {
		c.CollectionInterval = DefaultCollectionInterval
	}
	if c.RetentionPeriod == 0 {
		c.RetentionPeriod = DefaultRetentionPeriod
	}
	if c.PrometheusPort == 0 {
		c.PrometheusPort = DefaultPrometheusPort
	}
	if c.Storage == "" {
		c.Storage = StorageMemory
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.Backlog == 0 {
		c.Backlog = DefaultBacklog
	}
	if c.MessageTimeout == 0 {
		c.MessageTimeout = DefaultMessageTimeout
	}
	return c
}

// Validate reports every problem at once; zero values are valid.
func (c Config) Validate() error {
	var errs []error
	if c.CollectionInterval < 0 || (c.CollectionInterval > 0 && c.CollectionInterval < time.Millisecond) {
		errs = append(errs, fmt.Errorf("config: collection_interval must be 0 (1s) or >= 1ms, got %v", c.CollectionInterval))
	}
	if c.RetentionPeriod < 0 {
		errs = append(errs, fmt.Errorf("config: retention_period must be >= 0, got %v", c.RetentionPeriod))
	}
	if c.PrometheusPort < 0 || c.PrometheusPort > 65535 {
		errs = append(errs, fmt.Errorf("config: prometheus_port must be in [0, 65535], got %d", c.PrometheusPort))
	}
	switch c.Storage {
	case "", StorageMemory:
	case StorageDisk:
		if c.StoragePath == "" {
			errs = append(errs, errors.New("config: storage_backend disk needs storage_path"))
		}
	default:
		errs = append(errs, fmt.Errorf("config: storage_backend must be memory or disk, got %q", c.Storage))
	}
	if c.MaxConnections < 0 {
		errs = append(errs, fmt.Errorf("config: max_connections must be >= 0, got %d", c.MaxConnections))
	}
	if c.Backlog < 0 {
		errs = append(errs, fmt.Errorf("config: backlog must be >= 0, got %d", c.Backlog))
	}
	if c.MessageTimeout < 0 {
		errs = append(errs, fmt.Errorf("config: message_timeout must be >= 0, got %v", c.MessageTimeout))
	}
	return errors.Join(errs...)
}
