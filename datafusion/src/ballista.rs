//! The report on a Ballista cluster (feature `ballista`): the plan codecs that carry the
//! crate's UDFs with their parameters, the session set-up for a client, a scheduler or
//! an executor, and a standalone cluster on loopback (one scheduler, N executors, in
//! this process) for tests and the `report --ballista` example.
//!
//! # How the UDFs reach the executors
//! A Ballista client sends the logical plan to the scheduler, which plans it and sends
//! each stage's physical plan to the executors. Both plans name their functions; the
//! crate's functions are parameterized (the report options and broadcast tables of
//! `crm_fold`/`crm_report`, the bucket count of `crm_bucket`, the zone of the calendar
//! UDFs), so a name alone cannot rebuild them from a registry. [`CrmLogicalCodec`] and
//! [`CrmPhysicalCodec`] therefore write each of these functions as JSON of its
//! parameters ([`UdfWire`], the crate's serde) into the plan's function definition, and
//! rebuild the function from it on the other side; every other node goes to Ballista's
//! own codecs unchanged. Scheduler and executors use these codecs, so they know every
//! crate UDF with the parameters of the query that uses it; their function registry is
//! DataFusion's and Ballista's defaults plus whatever [`session_state`] is given.
//!
//! Every process of a cluster must run this build of the crate (the JSON is the
//! parameters of this build; a mismatch fails the query with a decode error, it never
//! computes with other parameters).

use std::fmt::Debug;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::ballista::prelude::SessionContextExt;
use ballista_core::extension::SessionConfigExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::protobuf::ExecutorRegistration;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::protobuf::scheduler_grpc_server::SchedulerGrpcServer;
use ballista_core::serde::scheduler::{
    ExecutorOperatingSystemSpecification, ExecutorSpecification,
};
use ballista_core::serde::{
    BallistaCodec, BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec,
};
use ballista_core::utils::{GrpcServerConfig, create_grpc_server, default_session_builder};
use ballista_core::{BALLISTA_PROTOCOL_VERSION, ConfigProducer, RuntimeProducer};
use ballista_executor::executor::Executor;
use ballista_executor::flight_service::BallistaFlightService;
use ballista_executor::metrics::LoggingMetricsCollector;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_server::SchedulerServer;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::{SessionState, TaskContext};
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::udaf::{Params, ReportUdaf, Stage, external};
use crate::udf::{BucketUdf, CalendarUdf, Part};

/// A crate UDF as the codecs write it: which function, and its parameters (JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "udf", rename_all = "snake_case")]
pub enum UdfWire {
    /// `crm_fold` with its parameters (options and broadcast tables).
    Fold {
        /// The parameters.
        params: Params,
    },
    /// `crm_report` with its parameters.
    Report {
        /// The parameters.
        params: Params,
    },
    /// `crm_bucket` with its number of buckets.
    Bucket {
        /// The number of buckets.
        buckets: u32,
    },
    /// `crm_local_date` in a time zone.
    LocalDate {
        /// The zone's name as given.
        zone: String,
    },
    /// `crm_local_hour` in a time zone.
    LocalHour {
        /// The zone's name as given.
        zone: String,
    },
}

impl UdfWire {
    /// The wire form of a scalar UDF of this crate; `None` for any other function.
    pub fn of_udf(udf: &ScalarUDF) -> Option<UdfWire> {
        let inner = udf.inner();
        if let Some(bucket) = inner.downcast_ref::<BucketUdf>() {
            return Some(UdfWire::Bucket {
                buckets: bucket.buckets(),
            });
        }
        let calendar = inner.downcast_ref::<CalendarUdf>()?;
        let zone = calendar.zone().to_owned();
        Some(match calendar.part() {
            Part::Date => UdfWire::LocalDate { zone },
            Part::Hour => UdfWire::LocalHour { zone },
        })
    }

    /// The wire form of an aggregate UDF of this crate; `None` for any other function.
    ///
    /// # Errors
    /// When the parameters do not read back (they always do for a built UDAF).
    pub fn of_udaf(udaf: &AggregateUDF) -> Result<Option<UdfWire>> {
        let Some(report) = udaf.inner().downcast_ref::<ReportUdaf>() else {
            return Ok(None);
        };
        let params: Params = serde_json::from_str(report.params_json()).map_err(external)?;
        Ok(Some(match report.stage() {
            Stage::Fold => UdfWire::Fold { params },
            Stage::Merge => UdfWire::Report { params },
        }))
    }

    /// The bytes written into a plan.
    ///
    /// # Errors
    /// When serde fails (it does not for these types).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(external)
    }

    /// The wire form read from a plan's function definition; `None` when the bytes are
    /// empty (a function this codec did not write).
    ///
    /// # Errors
    /// When the bytes are not the JSON of this build.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Option<UdfWire>> {
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(bytes).map(Some).map_err(|e| {
            DataFusionError::Plan(format!(
                "the definition of function {name} is not one this build of \
                 crm-metrics-datafusion writes: {e}"
            ))
        })
    }

    /// The scalar UDF.
    ///
    /// # Errors
    /// When this is an aggregate, or the zone does not read.
    pub fn into_udf(self) -> Result<Arc<ScalarUDF>> {
        Ok(Arc::new(match self {
            UdfWire::Bucket { buckets } => ScalarUDF::new_from_impl(BucketUdf::new(buckets)),
            UdfWire::LocalDate { zone } => CalendarUdf::new(Part::Date, &zone)?.udf(),
            UdfWire::LocalHour { zone } => CalendarUdf::new(Part::Hour, &zone)?.udf(),
            UdfWire::Fold { .. } | UdfWire::Report { .. } => {
                return Err(DataFusionError::Plan(
                    "an aggregate function's definition where a scalar one is expected".into(),
                ));
            }
        }))
    }

    /// The aggregate UDF.
    ///
    /// # Errors
    /// When this is a scalar function, or the options do not resolve.
    pub fn into_udaf(self) -> Result<Arc<AggregateUDF>> {
        let (stage, params) = match self {
            UdfWire::Fold { params } => (Stage::Fold, params),
            UdfWire::Report { params } => (Stage::Merge, params),
            _ => {
                return Err(DataFusionError::Plan(
                    "a scalar function's definition where an aggregate one is expected".into(),
                ));
            }
        };
        Ok(Arc::new(AggregateUDF::new_from_impl(ReportUdaf::new(
            stage, params,
        )?)))
    }
}

/// The logical plan codec: the crate's UDFs as [`UdfWire`] JSON, everything else by
/// Ballista's logical codec (file formats, Ballista's nodes).
#[derive(Debug)]
pub struct CrmLogicalCodec {
    inner: Arc<dyn LogicalExtensionCodec>,
}

impl Default for CrmLogicalCodec {
    fn default() -> CrmLogicalCodec {
        CrmLogicalCodec {
            inner: Arc::new(BallistaLogicalExtensionCodec::default()),
        }
    }
}

impl LogicalExtensionCodec for CrmLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.inner
            .try_decode_table_provider(buf, table_ref, schema, ctx)
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        match UdfWire::from_bytes(name, buf)? {
            Some(wire) => wire.into_udf(),
            None => self.inner.try_decode_udf(name, buf),
        }
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        match UdfWire::of_udf(node) {
            Some(wire) => {
                buf.extend(wire.to_bytes()?);
                Ok(())
            }
            None => self.inner.try_encode_udf(node, buf),
        }
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        match UdfWire::from_bytes(name, buf)? {
            Some(wire) => wire.into_udaf(),
            None => self.inner.try_decode_udaf(name, buf),
        }
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        match UdfWire::of_udaf(node)? {
            Some(wire) => {
                buf.extend(wire.to_bytes()?);
                Ok(())
            }
            None => self.inner.try_encode_udaf(node, buf),
        }
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// The physical plan codec: the crate's UDFs as [`UdfWire`] JSON, everything else by
/// Ballista's physical codec (shuffle readers and writers, Ballista's nodes).
#[derive(Debug)]
pub struct CrmPhysicalCodec {
    inner: Arc<dyn PhysicalExtensionCodec>,
}

impl Default for CrmPhysicalCodec {
    fn default() -> CrmPhysicalCodec {
        CrmPhysicalCodec {
            inner: Arc::new(BallistaPhysicalExtensionCodec::default()),
        }
    }
}

impl PhysicalExtensionCodec for CrmPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.inner.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        match UdfWire::from_bytes(name, buf)? {
            Some(wire) => wire.into_udf(),
            None => self.inner.try_decode_udf(name, buf),
        }
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        match UdfWire::of_udf(node) {
            Some(wire) => {
                buf.extend(wire.to_bytes()?);
                Ok(())
            }
            None => self.inner.try_encode_udf(node, buf),
        }
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        match UdfWire::from_bytes(name, buf)? {
            Some(wire) => wire.into_udaf(),
            None => self.inner.try_decode_udaf(name, buf),
        }
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        match UdfWire::of_udaf(node)? {
            Some(wire) => {
                buf.extend(wire.to_bytes()?);
                Ok(())
            }
            None => self.inner.try_encode_udaf(node, buf),
        }
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// A Ballista session configuration with the crate's codecs and `target_partitions`
/// partitions: what a client, the scheduler and the executors are configured with.
pub fn session_config(target_partitions: usize) -> SessionConfig {
    SessionConfig::new_with_ballista()
        .with_target_partitions(target_partitions.max(1))
        .with_ballista_logical_extension_codec(Arc::new(CrmLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(CrmPhysicalCodec::default()))
}

/// A session state for `config` (normally from [`session_config`]): DataFusion's and
/// Ballista's default functions, Ballista's optimizer rules.
///
/// # Errors
/// When the runtime cannot be built.
pub fn session_state(config: SessionConfig) -> Result<SessionState> {
    default_session_builder(with_codecs(config))
}

/// `config` with the crate's codecs (the scheduler receives a client's settings without
/// them).
fn with_codecs(config: SessionConfig) -> SessionConfig {
    config
        .with_ballista_logical_extension_codec(Arc::new(CrmLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(CrmPhysicalCodec::default()))
}

fn codec() -> BallistaCodec<LogicalPlanNode, PhysicalPlanNode> {
    BallistaCodec::new(
        Arc::new(CrmLogicalCodec::default()),
        Arc::new(CrmPhysicalCodec::default()),
    )
}

fn ballista_error(e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!("ballista: {e}"))
}

/// A Ballista cluster in this process, on loopback: one scheduler and its executors,
/// each on a port the system picked, their shuffle files in one scratch folder. Stop it
/// with [`shutdown`](StandaloneCluster::shutdown) (dropping it does the same): the
/// servers and polling loops are aborted and the scratch folder is removed.
#[derive(Debug)]
pub struct StandaloneCluster {
    scheduler: SocketAddr,
    executors: Vec<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
    work_dir: PathBuf,
    target_partitions: usize,
}

impl StandaloneCluster {
    /// Starts a scheduler and `executors` executors of `vcores` task slots each, on
    /// 127.0.0.1, in the current tokio runtime; `target_partitions` is the partitions
    /// of the sessions of [`context`](StandaloneCluster::context). Shuffle files go
    /// under `scratch` (a folder made for the cluster inside it).
    ///
    /// # Errors
    /// When a port cannot be bound, the scratch folder cannot be made, or the
    /// scheduler does not start.
    pub async fn start(
        executors: usize,
        vcores: usize,
        target_partitions: usize,
        scratch: &Path,
    ) -> Result<StandaloneCluster> {
        let work_dir = scratch.join(format!(
            "crm-ballista-{}-{}",
            std::process::id(),
            uuid_like()
        ));
        std::fs::create_dir_all(&work_dir)?;
        let mut cluster = StandaloneCluster {
            scheduler: SocketAddr::from(([127, 0, 0, 1], 0)),
            executors: Vec::new(),
            tasks: Vec::new(),
            work_dir,
            target_partitions: target_partitions.max(1),
        };
        let config = session_config(cluster.target_partitions);

        // The scheduler, as Ballista's standalone scheduler but with our codecs and
        // session, on a port of our own listener.
        let config_producer: ConfigProducer = {
            let config = config.clone();
            Arc::new(move || config.clone())
        };
        let session_builder: ballista_scheduler::SessionBuilder =
            Arc::new(|config: SessionConfig| session_state(config));
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        cluster.scheduler = listener.local_addr()?;
        let endpoint = cluster.scheduler.to_string();
        let ballista =
            BallistaCluster::new_memory(endpoint.clone(), session_builder, config_producer.clone());
        let metrics =
            ballista_scheduler::metrics::default_metrics_collector().map_err(ballista_error)?;
        let mut server: SchedulerServer<LogicalPlanNode, PhysicalPlanNode> = SchedulerServer::new(
            endpoint,
            ballista,
            codec(),
            Arc::new(
                SchedulerConfig::default()
                    .with_scheduler_policy(ballista_core::config::TaskSchedulingPolicy::PullStaged),
            ),
            metrics,
        );
        server.init().await.map_err(ballista_error)?;
        let max = config.ballista_grpc_client_max_message_size();
        let grpc = SchedulerGrpcServer::new(server)
            .max_decoding_message_size(max)
            .max_encoding_message_size(max);
        cluster.tasks.push(tokio::spawn(async move {
            let serve = create_grpc_server(&GrpcServerConfig::default())
                .add_service(grpc)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
            if let Err(e) = serve.await {
                log_error("scheduler", &e);
            }
        }));

        for _ in 0..executors.max(1) {
            cluster.start_executor(vcores.max(1), &config).await?;
        }
        Ok(cluster)
    }

    async fn start_executor(&mut self, vcores: usize, config: &SessionConfig) -> Result<()> {
        let url = self.scheduler_url();
        let mut attempts = 0;
        let scheduler = loop {
            match SchedulerGrpcClient::connect(url.clone()).await {
                Ok(client) => break client,
                Err(e) if attempts >= 50 => return Err(ballista_error(e)),
                Err(_) => {
                    attempts += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        };
        let max = config.ballista_grpc_client_max_message_size();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        self.executors.push(address);
        let work_dir = self
            .work_dir
            .join(format!("executor-{}", self.executors.len()));
        std::fs::create_dir_all(&work_dir)?;
        let work_dir = work_dir
            .to_str()
            .ok_or_else(|| ballista_error("the scratch folder's path is not UTF-8"))?
            .to_owned();
        let metadata = ExecutorRegistration {
            id: ballista_core::ids::new_instance_id(),
            host: Some(address.ip().to_string()),
            port: u32::from(address.port()),
            // Not served: executors of a pull-staged cluster are not called on it.
            grpc_port: 0,
            specification: Some(
                ExecutorSpecification::default()
                    .with_vcores(u32::try_from(vcores).unwrap_or(u32::MAX))
                    .into(),
            ),
            os_info: Some(ExecutorOperatingSystemSpecification::default().into()),
            ballista_protocol_version: BALLISTA_PROTOCOL_VERSION,
        };
        let state = session_state(config.clone())?;
        let runtime = state.runtime_env().clone();
        let runtime_producer: RuntimeProducer = Arc::new(move |_| Ok(runtime.clone()));
        let config_producer: ConfigProducer = {
            let config = with_codecs(config.clone());
            Arc::new(move || config.clone())
        };
        let registry = BallistaFunctionRegistry::from(&state);
        let executor = Arc::new(Executor::with_default_execution_engine(
            metadata,
            &work_dir,
            runtime_producer,
            config_producer,
            Arc::new(registry),
            Arc::new(LoggingMetricsCollector::default()),
            vcores,
        ));
        let flight = arrow_flight::flight_service_server::FlightServiceServer::new(
            BallistaFlightService::new(work_dir),
        )
        .max_decoding_message_size(max)
        .max_encoding_message_size(max);
        self.tasks.push(tokio::spawn(async move {
            let serve = create_grpc_server(&GrpcServerConfig::default())
                .add_service(flight)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
            if let Err(e) = serve.await {
                log_error("executor flight service", &e);
            }
        }));
        self.tasks.push(tokio::spawn(async move {
            if let Err(e) = ballista_executor::execution_loop::poll_loop(
                scheduler,
                executor,
                codec(),
                None,
                None,
                ballista_executor::health::ExecutorHealth::new(),
            )
            .await
            {
                log_error("executor poll loop", &e);
            }
        }));
        Ok(())
    }

    /// The scheduler's URL (`http://127.0.0.1:PORT`).
    pub fn scheduler_url(&self) -> String {
        format!("http://{}", self.scheduler)
    }

    /// The folder of the executors' shuffle files (removed by
    /// [`shutdown`](StandaloneCluster::shutdown)).
    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// The executors' Flight addresses.
    pub fn executors(&self) -> &[SocketAddr] {
        &self.executors
    }

    /// A client session of this cluster ([`context`]).
    ///
    /// # Errors
    /// As [`context`].
    pub async fn context(&self) -> Result<SessionContext> {
        context(&self.scheduler_url(), self.target_partitions).await
    }

    /// Stops the servers and polling loops and removes the scratch folder.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        let _ = std::fs::remove_dir_all(&self.work_dir);
    }
}

impl Drop for StandaloneCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A client session of the Ballista scheduler at `url` (`http://host:port`), with the
/// crate's codecs and `target_partitions` partitions: register the tables (e.g.
/// [`crate::register_parquet_dir`]; the paths must be readable by the executors) and
/// call [`crate::report`].
///
/// # Errors
/// When the URL does not parse or the state cannot be built.
pub async fn context(url: &str, target_partitions: usize) -> Result<SessionContext> {
    let state = session_state(session_config(target_partitions))?;
    SessionContext::remote_with_state(url, state).await
}

fn log_error(what: &str, e: &dyn std::fmt::Display) {
    eprintln!("crm-metrics-datafusion: ballista {what} stopped: {e}");
}

/// A value unique within this process run, for scratch folder names.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{nanos}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
