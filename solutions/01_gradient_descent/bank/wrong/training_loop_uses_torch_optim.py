def training_loop(n_epochs, learning_rate, params, x, y):
    params = params.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([params], lr=learning_rate)
    losses = []
    for _ in range(n_epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x, params[0], params[1]), y)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return params.detach(), losses
