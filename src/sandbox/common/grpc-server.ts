/**
 * A loopback gRPC server for the Google emulators (GKE, Anthos on AWS): loads a service from the
 * protos shipped in the npm packages, answers unary calls through plain async handlers, and applies
 * the shared knobs (latency, outage, injected faults) and request log around every call.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { EmulatorControl, FaultKind } from './control.js';

/** Thrown by a handler to answer with a gRPC status other than OK. */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcStatusError';
  }
}

/** A decoded request message (camelCase fields, enums as names, defaults filled in). */
export type GrpcRequest = Record<string, unknown>;

/** Answers one unary method; the returned object is encoded as the method's response message. */
export type UnaryHandler = (request: GrpcRequest) => object | Promise<object>;

export interface GrpcServiceOptions {
  /** Absolute path of the .proto file that declares the service. */
  protoFile: string;
  /** Directories the proto's imports are resolved against. */
  includeDirs: string[];
  /** Fully qualified service name, e.g. `google.container.v1.ClusterManager`. */
  serviceName: string;
  /** Handlers by method name as written in the proto (`GetCluster`); other methods answer UNIMPLEMENTED. */
  handlers: Record<string, UnaryHandler>;
  control: EmulatorControl;
  /** Whether a method changes state (recorded in the request log, e.g. to prove a dry-run sent none). */
  isMutating(method: string): boolean;
  port?: number;
}

export interface RunningGrpcServer {
  /** `127.0.0.1:PORT`, the form gRPC clients take. */
  endpoint: string;
  port: number;
  server: grpc.Server;
  close(): Promise<void>;
}

/** Decoding as google-gax does, so handlers see what a Google client would send. */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

// Loading a large proto tree takes a few hundred ms; emulators restarted by tests reuse it.
const definitionCache = new Map<string, protoLoader.PackageDefinition>();

function loadDefinition(protoFile: string, includeDirs: string[]): protoLoader.PackageDefinition {
  const key = [protoFile, ...includeDirs].join('\0');
  let definition = definitionCache.get(key);
  if (!definition) {
    definition = protoLoader.loadSync(protoFile, { ...LOADER_OPTIONS, includeDirs });
    definitionCache.set(key, definition);
  }
  return definition;
}

function findService(definition: protoLoader.PackageDefinition, serviceName: string): grpc.ServiceDefinition {
  const service = definition[serviceName];
  // Message and enum definitions carry a `format`; service definitions are maps of methods.
  if (!service || 'format' in service) {
    throw new Error(`gRPC emulator: service ${serviceName} not found in the loaded protos`);
  }
  return service as grpc.ServiceDefinition;
}

/** How an injected fault answers over gRPC, the way Google front ends do. */
const FAULT_STATUS: Partial<Record<FaultKind, { code: grpc.status; message: string }>> = {
  throttle: {
    code: grpc.status.RESOURCE_EXHAUSTED,
    message: 'Resource has been exhausted (e.g. check quota).',
  },
  'server-error': { code: grpc.status.INTERNAL, message: 'Internal error encountered.' },
};

const OUTAGE = { code: grpc.status.UNAVAILABLE, message: 'The service is currently unavailable.' };

export async function startGrpcServer(options: GrpcServiceOptions): Promise<RunningGrpcServer> {
  const { control } = options;
  const service = findService(loadDefinition(options.protoFile, options.includeDirs), options.serviceName);

  const answer = async (method: string, request: GrpcRequest): Promise<object> => {
    await control.delay();
    if (control.knobs.outage) throw new GrpcStatusError(OUTAGE.code, OUTAGE.message);
    const fault = control.takeFault(method, ['throttle', 'server-error']);
    const faultStatus = fault ? FAULT_STATUS[fault] : undefined;
    if (faultStatus) throw new GrpcStatusError(faultStatus.code, faultStatus.message);
    const handler = options.handlers[method];
    if (!handler) {
      throw new GrpcStatusError(
        grpc.status.UNIMPLEMENTED,
        `Method ${options.serviceName}/${method} is not implemented by the sandbox emulator.`,
      );
    }
    return handler(request);
  };

  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, definition] of Object.entries(service)) {
    // Google's admin APIs are unary; a streaming method keeps grpc-js's default UNIMPLEMENTED answer.
    if (definition.requestStream || definition.responseStream) continue;
    const unary: grpc.handleUnaryCall<GrpcRequest, object> = (call, callback) => {
      const mutating = options.isMutating(method);
      answer(method, call.request).then(
        (response) => {
          control.log.record({
            service: control.service,
            operation: method,
            mutating,
            status: grpc.status.OK,
          });
          callback(null, response);
        },
        (error: unknown) => {
          const status =
            error instanceof GrpcStatusError
              ? error
              : new GrpcStatusError(grpc.status.INTERNAL, `emulator error: ${String(error)}`);
          control.log.record({
            service: control.service,
            operation: method,
            mutating,
            status: status.code,
            error: grpc.status[status.code],
          });
          callback({ code: status.code, details: status.message });
        },
      );
    };
    implementation[method] = unary;
  }

  const server = new grpc.Server();
  server.addService(service, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `127.0.0.1:${options.port ?? 0}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    server,
    close: async () => {
      // An emulator has no calls worth draining; end them so tests never wait on a shutdown.
      server.forceShutdown();
    },
  };
}
