import type * as grpc from '@grpc/grpc-js';
import usersGrpc from '@eventstore/db-client/generated/users_grpc_pb.js';
import usersPb from '@eventstore/db-client/generated/users_pb.js';
import { withCaller, type CallAuthority } from './call-authority.js';
import { isAdmin, type Principal } from './principal.js';
import { invalidArgument } from '../streams/rpc-errors.js';
import { accessDenied, badCredentials, loginConflict, loginNotFound, loginTryAgain } from './rpc-errors.js';
import type { UserChange, UserDetails } from './user-accounts.js';

type Unary<Req> = (call: grpc.ServerUnaryCall<Req, unknown>, callback: grpc.sendUnaryData<unknown>) => void;
interface WithLogin {
  getOptions(): { getLoginName(): string } | undefined;
}

const answer = (change: UserChange, login: string, ok: () => unknown, callback: grpc.sendUnaryData<unknown>): void => {
  if (change === 'ok') return callback(null, ok());
  if (change === 'not_found') return callback(loginNotFound(login));
  if (change === 'conflict') return callback(loginConflict(login));
  if (change === 'unauthorized') return callback(accessDenied());
  return callback(loginTryAgain(login));
};

const detailsOf = (u: UserDetails): InstanceType<typeof usersPb.DetailsResp> =>
  new usersPb.DetailsResp().setUserDetails(
    new usersPb.DetailsResp.UserDetails()
      .setLoginName(u.loginName)
      .setFullName(u.fullName)
      .setGroupsList([...u.groups])
      .setDisabled(u.disabled)
      .setLastUpdated(new usersPb.DetailsResp.UserDetails.DateTime().setTicksSinceEpoch(u.lastUpdated.toString())),
  );

/**
 * event_store.client.users.Users over the user accounts, with 23.10's legacy
 * policy: admins manage users; a user may read their own details and change
 * their own password (knowing the current one); listing takes an admin.
 */
export const createUsersService = (authority: CallAuthority): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } => {
  const accounts = authority.accounts;
  const adminCall =
    <Req extends WithLogin>(run: (req: Req, login: string, callback: grpc.sendUnaryData<unknown>) => Promise<void>): Unary<Req> =>
    (call, callback) => {
      withCaller(authority, call.metadata, callback, async (caller) => {
        if (caller.refused) return callback(badCredentials());
        if (!isAdmin(caller.principal)) return callback(accessDenied());
        const login = call.request.getOptions()?.getLoginName() ?? '';
        if (login === '') return callback(invalidArgument('login_name must not be empty'));
        await run(call.request, login, callback);
      });
    };
  type CreateReq = InstanceType<typeof usersPb.CreateReq>;
  type UpdateReq = InstanceType<typeof usersPb.UpdateReq>;
  type ResetReq = InstanceType<typeof usersPb.ResetPasswordReq>;
  type ChangeReq = InstanceType<typeof usersPb.ChangePasswordReq>;
  type DetailsReq = InstanceType<typeof usersPb.DetailsReq>;
  const implementation: grpc.UntypedServiceImplementation = {
    create: adminCall<CreateReq>(async (req, login, cb) => {
      const o = req.getOptions();
      if ((o?.getPassword() ?? '') === '') return cb(invalidArgument('password must not be empty'));
      answer(await accounts.create(login, o?.getFullName() ?? '', o?.getGroupsList() ?? [], o?.getPassword() ?? ''), login, () => new usersPb.CreateResp(), cb);
    }),
    update: adminCall<UpdateReq>(async (req, login, cb) => {
      const o = req.getOptions();
      answer(await accounts.update(login, o?.getFullName() ?? '', o?.getGroupsList() ?? []), login, () => new usersPb.UpdateResp(), cb);
    }),
    delete: adminCall(async (_req, login, cb) => answer(await accounts.delete(login), login, () => new usersPb.DeleteResp(), cb)),
    enable: adminCall(async (_req, login, cb) => answer(await accounts.setDisabled(login, false), login, () => new usersPb.EnableResp(), cb)),
    disable: adminCall(async (_req, login, cb) => answer(await accounts.setDisabled(login, true), login, () => new usersPb.DisableResp(), cb)),
    resetPassword: adminCall<ResetReq>(async (req, login, cb) => {
      const next = req.getOptions()?.getNewPassword() ?? '';
      if (next === '') return cb(invalidArgument('new_password must not be empty'));
      answer(await accounts.resetPassword(login, next), login, () => new usersPb.ResetPasswordResp(), cb);
    }),
    changePassword: ((call, callback) => {
      withCaller(authority, call.metadata, callback, async (caller) => {
        if (caller.refused) return callback(badCredentials());
        const o = call.request.getOptions();
        const login = o?.getLoginName() ?? '';
        if (caller.principal?.name !== login) return callback(accessDenied());
        if ((o?.getNewPassword() ?? '') === '') return callback(invalidArgument('new_password must not be empty'));
        answer(await accounts.changePassword(login, o?.getCurrentPassword() ?? '', o?.getNewPassword() ?? ''), login, () => new usersPb.ChangePasswordResp(), callback);
      });
    }) as Unary<ChangeReq>,
    details: (call: grpc.ServerWritableStream<DetailsReq, unknown>): void => {
      withCaller(authority, call.metadata, (e) => call.emit('error', e), (caller) => {
        if (caller.refused) return call.emit('error', badCredentials());
        const login = call.request.getOptions()?.getLoginName() ?? '';
        const principal: Principal | undefined = caller.principal;
        const mayRead = isAdmin(principal) || (login !== '' && principal?.name === login);
        if (!mayRead) return call.emit('error', accessDenied());
        if (login === '') {
          for (const u of accounts.list()) call.write(detailsOf(u));
          return call.end();
        }
        const found = accounts.details(login);
        if (found === undefined) return call.emit('error', loginNotFound(login));
        call.write(detailsOf(found));
        call.end();
      });
    },
  };
  return { definition: usersGrpc.UsersService, implementation };
};
