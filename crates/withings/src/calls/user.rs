//! `/v2/user getdevice`, `getgoals`.

use withings_decode::user::{Device, Goals};
use withings_model::user::{GetDevice, GetGoals};

use crate::Client;

/// The user's devices and goals. From [`Client::user`].
#[derive(Debug, Clone, Copy)]
pub struct UserCalls<'a> {
    client: &'a Client,
}

impl<'a> UserCalls<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// `getdevice`: the devices linked to the account (type, model, battery, last use).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// for d in client.user().getdevice().send().await? {
    ///     println!("{} {:?}: battery {}", d.kind, d.model_name, d.battery);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn getdevice(&self) -> GetDeviceRequest {
        GetDeviceRequest {
            client: self.client.clone(),
            endpoint: GetDevice::new(),
        }
    }

    /// `getgoals`: steps, sleep and weight goals (each absent when not set).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// let goals = client.user().getgoals().send().await?;
    /// println!("steps {:?}, weight {:?} kg", goals.steps, goals.weight_kg);
    /// # Ok(()) }
    /// ```
    pub fn getgoals(&self) -> GetGoalsRequest {
        GetGoalsRequest {
            client: self.client.clone(),
            endpoint: GetGoals::new(),
        }
    }
}

/// `getdevice`, from [`UserCalls::getdevice`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetDeviceRequest {
    client: Client,
    endpoint: GetDevice,
}

single_call!(GetDeviceRequest, GetDevice, Vec<Device>);

/// `getgoals`, from [`UserCalls::getgoals`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetGoalsRequest {
    client: Client,
    endpoint: GetGoals,
}

single_call!(GetGoalsRequest, GetGoals, Goals);
